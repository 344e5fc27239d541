import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer, tick } from './harness.js';

describe('query routes', () => {
  let h: Harness;
  let firstTx: number;
  let secondTx: number;
  before(async () => {
    h = await startServer();
    const first = await ingest(h.app, {
      markets: [{ id: 'A' }, { id: 'B' }],
      ticks: [tick('a1', 'A', { price: 10, ts: 1000 }), tick('b1', 'B', { price: 20, ts: 1000 })],
    });
    firstTx = first.json().tx;
    const second = await ingest(h.app, [
      tick('a2', 'A', { price: 11, ts: 2000 }),
      tick('a0', 'A', { price: 9, ts: 500 }),
    ]);
    secondTx = second.json().tx;
  });
  after(() => h.close());
  const instantOf = (tx: number) => new Date(h.store.conn.view.txInstant(tx)!).toISOString();

  it('GET /v2/query/as_of/:tx gives the latest tick per market as of the tx', async () => {
    let response = await h.app.inject(`/v2/query/as_of/${firstTx}`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      basis_tx: firstTx,
      basis_instant: instantOf(firstTx),
      counts: { 'tick/id': 2, 'market/id': 2 },
      markets: {
        A: { price: 10, volume: 1, ts: 1000, tick: 'a1', tx: firstTx },
        B: { price: 20, volume: 1, ts: 1000, tick: 'b1', tx: firstTx },
      },
    });
    response = await h.app.inject(`/v2/query/as_of/${secondTx}?market=A`);
    assert.deepEqual(response.json().markets, {
      A: { price: 11, volume: 1, ts: 2000, tick: 'a2', tx: secondTx },
    });
    assert.equal(response.json().counts['tick/id'], 4);
    response = await h.app.inject(`/v2/query/as_of/${secondTx}?market=A&market=B`);
    assert.deepEqual(Object.keys(response.json().markets).sort(), ['A', 'B']);
  });

  it('answers 400 for a tx in the future or a malformed tx', async () => {
    let response = await h.app.inject(`/v2/query/as_of/${h.store.conn.basisTx + 1_000_000}`);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_TX_IN_FUTURE');
    for (const tx of ['abc', '-1', '1.5']) {
      response = await h.app.inject(`/v2/query/as_of/${tx}`);
      assert.equal(response.statusCode, 400, tx);
      assert.equal(response.json().code, 'GSW_ERR_BAD_REQUEST', tx);
    }
    response = await h.app.inject('/v2/count/tick%2Fid?as_of=soon');
    assert.equal(response.statusCode, 400);
  });

  it('GET /v2/count/:attr counts now or as of a tx', async () => {
    let response = await h.app.inject('/v2/count/tick%2Fid');
    assert.equal(response.statusCode, 200);
    const basisTx = h.store.conn.basisTx;
    assert.deepEqual(response.json(), { count: 4, basis_tx: basisTx, basis_instant: instantOf(basisTx) });
    response = await h.app.inject(`/v2/count/tick%2Fid?as_of=${firstTx}`);
    assert.deepEqual(response.json(), { count: 2, basis_tx: firstTx, basis_instant: instantOf(firstTx) });
    response = await h.app.inject('/v2/count/no%2Fsuch');
    assert.equal(response.statusCode, 400);
  });

  it('POST /v2/query runs Datalog, with args and as of a tx', async () => {
    const query = '[:find ?id :in $ ?m :where [?mk :market/id ?m] [?t :tick/market ?mk] [?t :tick/id ?id]]';
    let response = await h.app.inject({ method: 'POST', url: '/v2/query', payload: { query, args: ['A'] } });
    assert.equal(response.statusCode, 200);
    const ids = (response.json().result as string[][]).map((row) => row[0]).sort();
    assert.deepEqual(ids, ['a0', 'a1', 'a2']);
    response = await h.app.inject({
      method: 'POST',
      url: '/v2/query',
      payload: { query, args: ['A'], as_of: firstTx },
    });
    assert.deepEqual(response.json().result, [['a1']]);
    response = await h.app.inject({ method: 'POST', url: '/v2/query', payload: { query: '[:find' } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_QUERY');
    response = await h.app.inject({ method: 'POST', url: '/v2/query', payload: { args: [] } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_BAD_REQUEST');
  });

  it('GET /v2/markets/:id/ticks lists ticks in event-time order within a range', async () => {
    let response = await h.app.inject('/v2/markets/A/ticks');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(
      response.json().ticks.map((t: { id: string }) => t.id),
      ['a0', 'a1', 'a2'],
    );
    response = await h.app.inject('/v2/markets/A/ticks?from=1000&to=2001&limit=1');
    assert.deepEqual(response.json().ticks, [{ id: 'a1', market: 'A', price: 10, volume: 1, ts: 1000 }]);
    response = await h.app.inject(`/v2/markets/A/ticks?as_of=${firstTx}`);
    assert.deepEqual(
      response.json().ticks.map((t: { id: string }) => t.id),
      ['a1'],
    );
    response = await h.app.inject('/v2/markets/A/ticks?limit=0');
    assert.equal(response.statusCode, 400);
  });

  it('answers 404 in the error shape for an unknown route', async () => {
    const response = await h.app.inject('/v2/nothing');
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'GSW_ERR_NOT_FOUND');
  });
});
