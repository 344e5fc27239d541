import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { buildServer } from '../../src/api/index.js';
import { GswarmClient, GswarmConnectionError } from '../../src/client/index.js';
import { storage } from '../../src/index.js';
import { Swarm } from '../../src/market/swarm.js';
import { selfSignedCertificate, startServer, tick } from '../api/harness.js';

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('connection problems', () => {
  it('a refused connection names the URL and the cause, and is not retried', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    // A retry would wait minutes: the test's hang guard catches one.
    const client = new GswarmClient({ url, backoffMsBase: 600_000, backoffMsMax: 600_000 });
    const error = await client.status().catch((e: unknown) => e);
    assert.ok(error instanceof GswarmConnectionError);
    assert.equal(error.code, 'ECONNREFUSED');
    assert.equal(error.transient, false);
    assert.equal(
      error.message,
      `cannot reach ${url}/v2/status: connection refused: is the server running, on this host and port? (ECONNREFUSED)`,
    );
  });

  it('a URL without a scheme is refused at once, saying so', () => {
    assert.throws(
      () => new GswarmClient({ url: 'localhost:7420' }),
      /"localhost:7420" is not an http:\/\/ or https:\/\/ URL/,
    );
    assert.throws(
      () => new GswarmClient({ url: '127.0.0.1:7420' }),
      /is not a URL: give the scheme too, e.g. http:\/\//,
    );
  });

  it('an untrusted certificate says so and points to --ca; with ca the private CA is trusted', async () => {
    const tls = await selfSignedCertificate();
    const h = await startServer({ tls });
    try {
      const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const error = await new GswarmClient({ url }).status().catch((e: unknown) => e);
      assert.ok(error instanceof GswarmConnectionError);
      assert.equal(error.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(error.message, /certificate is not trusted: give its CA certificate with --ca/);
      assert.equal((await new GswarmClient({ url, ca: tls.cert }).status()).role, 'leader');
    } finally {
      await h.close();
    }
  });
});

describe('the alert stream across a server restart', () => {
  it('keeps reconnecting while the restarted server refuses connections, and resumes', async () => {
    const store = await Swarm.open({ storage: storage.memory() });
    let app = await buildServer({ store });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const port = Number(new URL(url).port);
    const stop = new AbortController();
    try {
      await store.ingest({ markets: [{ id: 'M' }] });
      await store.putReflex({ id: 'up', market: 'M', above: 10 });
      const client = new GswarmClient({ url, backoffMsBase: 1, backoffMsMax: 20 });
      let opened = 0;
      const stream = client.alertStream({ signal: stop.signal, onOpen: () => opened++ });
      const first = stream.next();
      while (opened === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await store.ingest({ ticks: [tick('a1', 'M', { price: 20 })] });
      assert.equal((await first).value?.tick, 'a1');
      const second = stream.next();
      await app.close();
      // Refused connections meanwhile: the stream waits for the server to come back.
      await new Promise((resolve) => setTimeout(resolve, 100));
      app = await buildServer({ store });
      await app.listen({ host: '127.0.0.1', port });
      while (opened < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      await store.ingest({ ticks: [tick('a2', 'M', { price: 5 }), tick('a3', 'M', { price: 30 })] });
      assert.equal((await second).value?.tick, 'a3');
    } finally {
      stop.abort();
      await app.close();
      await store.close();
    }
  });
});
