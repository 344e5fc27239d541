import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer, tick } from './harness.js';

describe('sketch routes', () => {
  let h: Harness;
  let firstTx: number;
  before(async () => {
    h = await startServer();
    const first = await ingest(h.app, {
      markets: [{ id: 'A' }, { id: 'B' }, { id: 'C' }],
      ticks: [tick('a1', 'A', { ts: 1000, volume: 5 }), tick('b1', 'B', { ts: 61_000, volume: 1 })],
    });
    firstTx = first.json().tx;
    await ingest(h.app, [
      tick('a2', 'A', { ts: 2000, volume: 5 }),
      tick('c1', 'C', { ts: 3000, volume: 100 }),
      tick('c2', 'C', { ts: 4000, volume: 100 }),
      tick('c3', 'C', { ts: 5000, volume: 100 }),
    ]);
  });
  after(() => h.close());

  it('GET /v2/sketches/distinct counts distinct markets in a window, as of a tx, with its error', async () => {
    let response = await h.app.inject('/v2/sketches/distinct');
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.deepEqual(
      { ...body, relative_standard_error: undefined, standard_error: undefined },
      {
        attr: 'tick/market',
        estimate: 3,
        from: null,
        to: null,
        basis_tx: h.store.conn.basisTx,
        relative_standard_error: undefined,
        standard_error: undefined,
      },
    );
    assert.ok(Math.abs(body.relative_standard_error - 1.04 / 128) < 1e-12);
    assert.ok(Math.abs(body.standard_error - 3 * body.relative_standard_error) < 1e-12);
    response = await h.app.inject('/v2/sketches/distinct?attr=tick%2Fmarket&from=500&to=59000');
    assert.deepEqual([response.json().estimate, response.json().from, response.json().to], [2, 0, 60_000]);
    response = await h.app.inject(`/v2/sketches/distinct?from=0&to=60000&as_of=${firstTx}`);
    assert.deepEqual([response.json().estimate, response.json().basis_tx], [1, firstTx]);
  });

  it('GET /v2/sketches/hot ranks markets by ticks or volume with the error bound', async () => {
    let response = await h.app.inject('/v2/sketches/hot?by=ticks&k=2');
    assert.equal(response.statusCode, 200);
    let body = response.json();
    assert.deepEqual(body.markets, [
      { market: 'C', estimate: 3 },
      { market: 'A', estimate: 2 },
    ]);
    assert.equal(body.total, 6);
    assert.ok(Math.abs(body.error_bound - body.epsilon * 6) < 1e-9);
    assert.ok(body.epsilon <= 0.005 && body.delta <= 0.01);
    response = await h.app.inject(`/v2/sketches/hot?by=volume&as_of=${firstTx}`);
    body = response.json();
    assert.deepEqual(body.markets, [
      { market: 'A', estimate: 5 },
      { market: 'B', estimate: 1 },
    ]);
    assert.deepEqual([body.by, body.total, body.basis_tx], ['volume', 6, firstTx]);
    response = await h.app.inject('/v2/sketches/hot?from=60000&to=120000');
    assert.deepEqual(response.json().markets, [{ market: 'B', estimate: 1 }]);
  });

  it('answers 400 naming the parameter for a bad attr, by, k or window, and a future as_of', async () => {
    for (const [query, name] of [
      ['/v2/sketches/distinct?attr=tick%2Fprice', 'attr'],
      ['/v2/sketches/hot?by=price', 'by'],
      ['/v2/sketches/hot?k=0', 'k'],
      ['/v2/sketches/hot?k=65', 'k'],
      ['/v2/sketches/distinct?from=soon', 'from'],
      ['/v2/sketches/hot?bucket=1', 'unknown property "bucket"'],
    ] as const) {
      const response = await h.app.inject(query);
      assert.equal(response.statusCode, 400, query);
      assert.equal(response.json().code, 'GSW_ERR_BAD_REQUEST', query);
      assert.match(response.json().error, new RegExp(name), query);
    }
    const response = await h.app.inject(`/v2/sketches/hot?as_of=${h.store.conn.basisTx + 1_000_000}`);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_TX_IN_FUTURE');
  });
});
