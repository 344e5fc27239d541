import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:https';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, selfSignedCertificate, startServer, tick } from './harness.js';

describe('operations routes', () => {
  let h: Harness;
  before(async () => {
    h = await startServer({ nodeId: 'node-a' });
  });
  after(() => h.close());

  it('GET /healthz and /readyz answer 200', async () => {
    assert.deepEqual((await h.app.inject('/healthz')).json(), { status: 'ok' });
    assert.deepEqual((await h.app.inject('/readyz')).json(), { status: 'ready' });
  });

  it('GET /metrics counts ticks, batches, rejections and latencies', async () => {
    await ingest(h.app, { markets: [{ id: 'M' }], ticks: [tick('m1'), tick('m2')] });
    await ingest(h.app, [tick('m3', 'M', { price: -1 })]);
    const response = await h.app.inject('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/plain/);
    const text = response.body;
    assert.match(text, /^gswarm_ticks_ingested_total 2$/m);
    assert.match(text, /^gswarm_ingest_batches_total 1$/m);
    assert.match(text, /^gswarm_ingest_rejections_total\{reason="invalid_rows"\} 1$/m);
    assert.match(text, /^gswarm_commit_latency_seconds_count 1$/m);
    assert.match(text, /^gswarm_alert_latency_seconds_count 0$/m);
    assert.match(text, /^gswarm_ingest_queue_depth 0$/m);
  });

  it('GET /v2/status names the node, its role, basis tx and ingest rate', async () => {
    const status = (await h.app.inject('/v2/status')).json();
    assert.equal(status.node_id, 'node-a');
    assert.equal(status.role, 'leader');
    assert.equal(status.basis_tx, h.store.conn.basisTx);
    assert.ok(status.uptime_s >= 0);
    assert.ok(status.ingest_ticks_per_s > 0);
  });

  it('serves the OpenAPI description built from the route schemas at /docs', async () => {
    const spec = (await h.app.inject('/docs/json')).json();
    assert.equal(spec.openapi.split('.')[0], '3');
    for (const path of [
      '/v2/ingest',
      '/v2/query/as_of/{tx}',
      '/v2/count/{attr}',
      '/v2/reflexes',
      '/v2/alerts/stream',
    ]) {
      assert.ok(spec.paths[path], path);
    }
    assert.ok(spec.paths['/v2/ingest'].post.responses['202']);
    const page = await h.app.inject('/docs/');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger/i);
  });

  it('drains: finishes a batch in flight, refuses requests that arrive meanwhile with 503', async () => {
    const own = await startServer();
    const { port } = new URL(await own.app.listen({ host: '127.0.0.1', port: 0 }));
    await ingest(own.app, { markets: [{ id: 'M' }] });
    const body = JSON.stringify([tick('in-flight')]);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    const ended = once(socket, 'end');
    const head = `POST /v2/ingest HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
    socket.write(head + body.slice(0, 5));
    const queueDepth = async () =>
      (await own.app.inject('/metrics')).body.match(/^gswarm_ingest_queue_depth (\d+)/m)?.[1];
    while ((await queueDepth()) !== '1') await new Promise((resolve) => setImmediate(resolve));
    const closing = own.app.close();
    while (own.app.server.listening) await new Promise((resolve) => setImmediate(resolve));
    socket.write(`${body.slice(5)}GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n`);
    await ended;
    await closing;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d+)/g)].map((match) => match[1]);
    assert.deepEqual(statuses, ['202', '503']);
    assert.match(received, /GSW_ERR_SHUTTING_DOWN/);
    assert.equal(own.store.count('tick/id').count, 1);
    await own.close();
  });
});

describe('bearer token', () => {
  let h: Harness;
  before(async () => {
    h = await startServer({ token: 's3cret' });
  });
  after(() => h.close());

  it('answers 401 on every /v2 route without the token, and serves it with', async () => {
    for (const url of ['/v2/status', '/v2/reflexes', '/v2/nothing', '/v2?x=1']) {
      const response = await h.app.inject(url);
      assert.equal(response.statusCode, 401, url);
      assert.equal(response.json().code, 'GSW_ERR_UNAUTHORIZED');
    }
    for (const authorization of ['Bearer wrong', 'Bearer s3cret2', 's3cret', 'Basic s3cret']) {
      assert.equal((await h.app.inject({ url: '/v2/status', headers: { authorization } })).statusCode, 401);
    }
    const ok = await h.app.inject({ url: '/v2/status', headers: { authorization: 'Bearer s3cret' } });
    assert.equal(ok.statusCode, 200);
    const refused = await ingest(h.app, [tick('x')]);
    assert.equal(refused.statusCode, 401);
  });

  it('leaves health and readiness open, and metrics closed by default', async () => {
    for (const url of ['/healthz', '/readyz']) assert.equal((await h.app.inject(url)).statusCode, 200, url);
    assert.equal((await h.app.inject('/metrics')).statusCode, 401);
  });
});

describe('HTTPS', () => {
  it('serves over TLS when given a certificate and key', async () => {
    const tls = await selfSignedCertificate();
    const h = await startServer({ tls });
    try {
      const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
      assert.match(url, /^https:/);
      const body = await new Promise<string>((resolve, reject) => {
        request(`${url}/healthz`, { ca: tls.cert }, (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve(text));
        })
          .on('error', reject)
          .end();
      });
      assert.deepEqual(JSON.parse(body), { status: 'ok' });
    } finally {
      await h.close();
    }
  });
});
