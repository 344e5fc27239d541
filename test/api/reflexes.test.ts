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

describe('reflex intents over HTTP', () => {
  it('refuses a rule that cannot fire, and takes the explicit band intents', async () => {
    const h = await startServer();
    try {
      await ingest(h.app, { markets: [{ id: 'M' }] });
      const put = (payload: object) => h.app.inject({ method: 'POST', url: '/v2/reflexes', payload });
      let response = await put({ id: 'r', market: 'M', above: 110, below: 95 });
      assert.equal(response.statusCode, 400);
      assert.match(
        response.json().error,
        /ambiguous: give enters: \{ low, high \}.* or leaves: \{ low, high \}/,
      );
      response = await put({ id: 'r', market: 'M', enters: { low: 110, high: 95 } });
      assert.equal(response.statusCode, 400);
      assert.match(response.json().error, /enters\.low must be below high/);
      assert.equal((await put({ id: 'out', market: 'M', leaves: { low: 95, high: 110 } })).statusCode, 201);
      assert.equal((await put({ id: 'in', market: 'M', enters: { low: 95, high: 110 } })).statusCode, 201);
      await ingest(h.app, [
        tick('1', 'M', { price: 100 }),
        tick('2', 'M', { price: 120 }),
        tick('3', 'M', { price: 100 }),
      ]);
      const alerts = (await h.app.inject('/v2/alerts')).json().alerts;
      assert.deepEqual(alerts.map((a: { reflex: string; tick: string }) => `${a.reflex}:${a.tick}`).sort(), [
        'in:1',
        'in:3',
        'out:2',
      ]);
      assert.deepEqual((await h.app.inject('/v2/reflexes')).json().reflexes, [
        { id: 'in', market: 'M', attr: 'tick/price', enters: { low: 95, high: 110 } },
        { id: 'out', market: 'M', attr: 'tick/price', leaves: { low: 95, high: 110 } },
      ]);
    } finally {
      await h.close();
    }
  });
});
