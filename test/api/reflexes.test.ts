import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer, tick } from './harness.js';

describe('reflex and alert routes', () => {
  let h: Harness;
  before(async () => {
    h = await startServer();
    await ingest(h.app, { markets: [{ id: 'M' }] });
  });
  after(() => h.close());

  const put = (payload: object) => h.app.inject({ method: 'POST', url: '/v2/reflexes', payload });

  it('creates (201), replaces (200), lists and deletes reflexes', async () => {
    let response = await put({ id: 'r1', market: 'M', above: 150 });
    assert.equal(response.statusCode, 201);
    assert.equal(typeof response.json().tx, 'number');
    response = await put({ id: 'r1', market: 'M', above: 160, cooldown_ms: 1000 });
    assert.equal(response.statusCode, 200);
    response = await h.app.inject('/v2/reflexes');
    assert.deepEqual(response.json().reflexes, [
      { id: 'r1', market: 'M', attr: 'tick/price', above: 160, cooldown_ms: 1000 },
    ]);
    response = await h.app.inject({ method: 'DELETE', url: '/v2/reflexes/r1' });
    assert.equal(response.statusCode, 200);
    response = await h.app.inject({ method: 'DELETE', url: '/v2/reflexes/r1' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'GSW_ERR_NOT_FOUND');
    assert.deepEqual((await h.app.inject('/v2/reflexes')).json().reflexes, []);
  });

  it('refuses a malformed reflex or one on a market that does not exist', async () => {
    let response = await put({ id: 'r2', market: 'M', above: 'high' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_BAD_REQUEST');
    response = await put({ id: 'r2', market: 'M' });
    assert.equal(response.statusCode, 400);
    response = await put({ id: 'r2', market: 'NOPE', below: 1 });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_DANGLING_REF');
    response = await h.app.inject({
      method: 'POST',
      url: '/v2/reflexes',
      headers: { 'content-type': 'application/json' },
      payload: '{"id":',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_MALFORMED_BODY');
  });

  it('GET /v2/alerts lists the alerts fired, after a tx or a sequence number', async () => {
    await put({ id: 'band', market: 'M', above: 150 });
    const first = (
      await ingest(h.app, [tick('t1', 'M', { price: 200 }), tick('t2', 'M', { price: 100 })])
    ).json();
    const second = (await ingest(h.app, [tick('t3', 'M', { price: 151 })])).json();
    const alerts = (await h.app.inject('/v2/alerts')).json().alerts;
    assert.deepEqual(
      alerts.map((a: { reflex: string; tick: string; value: number; market: string }) => [
        a.reflex,
        a.market,
        a.tick,
        a.value,
      ]),
      [
        ['band', 'M', 't1', 200],
        ['band', 'M', 't3', 151],
      ],
    );
    assert.deepEqual(
      alerts.map((a: { tx: number }) => a.tx),
      [first.tx, second.tx],
    );
    assert.ok(alerts.every((a: { durable_at_ms: number }) => a.durable_at_ms > 0));
    let response = await h.app.inject(`/v2/alerts?since_tx=${first.tx}`);
    assert.deepEqual(
      response.json().alerts.map((a: { tick: string }) => a.tick),
      ['t3'],
    );
    response = await h.app.inject(`/v2/alerts?after_seq=${alerts[0].seq}`);
    assert.deepEqual(
      response.json().alerts.map((a: { tick: string }) => a.tick),
      ['t3'],
    );
    response = await h.app.inject('/v2/alerts?since_tx=x');
    assert.equal(response.statusCode, 400);
  });
});
