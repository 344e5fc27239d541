/**
 * Time by the clock: an ISO-8601 instant wherever a tx is taken means the last tx committed at or
 * before it, checked against the tx instants a fake clock gave; replies name the basis tx and its
 * instant; malformed and future instants are refused with their own codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { buildServer } from '../../src/api/index.js';
import { Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';
import { ingest, tick } from './harness.js';

const t0 = Date.parse('2026-11-30T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('as of an instant', () => {
  let wallMs = t0;
  let store: Swarm;
  let app: Awaited<ReturnType<typeof buildServer>>;
  const txs: number[] = [];
  before(async () => {
    store = await Swarm.open({ storage: storage.memory(), clock: { nowMs: () => wallMs } });
    app = await buildServer({ store, now: () => t0 + 60_000 });
    for (const [i, price] of [10, 11, 12].entries()) {
      wallMs = t0 + i * 1000;
      const body = { markets: [{ id: 'M' }], ticks: [tick(`t${i}`, 'M', { price, ts: 1000 + i })] };
      txs.push((await ingest(app, body)).json().tx);
    }
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  it('reads the last tx at or before the instant and names it and its instant', async () => {
    const cases: [string, number, number][] = [
      [iso(t0), 0, 10],
      [iso(t0 + 999), 0, 10],
      [iso(t0 + 1000), 1, 11],
      ['2026-11-30T11:00:01.500+01:00', 1, 11],
      [iso(t0 + 50_000), 2, 12],
    ];
    for (const [instant, k, price] of cases) {
      const response = await app.inject(`/v2/query/as_of/${encodeURIComponent(instant)}`);
      assert.equal(response.statusCode, 200, instant);
      const body = response.json();
      assert.equal(body.basis_tx, txs[k], instant);
      assert.equal(body.basis_instant, iso(t0 + k * 1000), instant);
      assert.equal(body.markets.M.price, price, instant);
    }
  });

  it('takes instants in as_of and since_tx on every read route', async () => {
    const at = encodeURIComponent(iso(t0 + 1500));
    let response = await app.inject(`/v2/markets/M/ticks?as_of=${at}`);
    assert.deepEqual(
      response.json().ticks.map((t: { id: string }) => t.id),
      ['t0', 't1'],
    );
    assert.equal(response.json().basis_tx, txs[1]);
    response = await app.inject(`/v2/markets/M/candles?interval=1s&as_of=${at}`);
    assert.equal(response.json().candles[0].close, 11);
    response = await app.inject({
      method: 'POST',
      url: '/v2/query',
      payload: { query: '[:find (count ?t) . :where [?t :tick/id]]', as_of: iso(t0 + 1500) },
    });
    assert.deepEqual([response.json().result, response.json().basis_tx], [2, txs[1]]);
    response = await app.inject(`/v2/alerts?since_tx=${at}`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().alerts, []);
  });

  it('refuses malformed and future instants with a code naming the problem', async () => {
    const refusals: [string, number, string][] = [
      ['2026-02-30T00:00:00Z', 400, 'GSW_ERR_BAD_INSTANT'],
      ['2026-11-30T10:00:00', 400, 'GSW_ERR_BAD_INSTANT'],
      ['2026-11-30T25:00:00Z', 400, 'GSW_ERR_BAD_INSTANT'],
      [iso(t0 + 60_001), 400, 'GSW_ERR_INSTANT_IN_FUTURE'],
      ['yesterday', 400, 'GSW_ERR_BAD_REQUEST'],
    ];
    for (const [instant, status, code] of refusals) {
      const response = await app.inject(`/v2/count/tick%2Fid?as_of=${encodeURIComponent(instant)}`);
      assert.equal(response.statusCode, status, instant);
      assert.equal(response.json().code, code, instant);
      if (code !== 'GSW_ERR_BAD_REQUEST') assert.match(response.json().error, /instant/);
    }
  });
});

describe('View.txAtInstant', () => {
  it('is the last tx whose instant is at or before the given one, with stalled clocks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: -2, max: 40 }),
        async (steps, probe) => {
          let wallMs = 1_000_000;
          const store = await Swarm.open({ storage: storage.memory(), clock: { nowMs: () => wallMs } });
          try {
            // Opening transacts the schema, at the first instant.
            const instants = [{ tx: store.conn.basisTx, at: wallMs }];
            for (const [i, step] of steps.entries()) {
              wallMs += step;
              const { tx } = await store.ingest({ markets: [{ id: `m${i}` }] });
              instants.push({ tx, at: wallMs });
            }
            const at = 1_000_000 + probe;
            const expected = instants.filter((x) => x.at <= at).at(-1)?.tx ?? 0;
            assert.equal(store.conn.view.txAtInstant(at), expected);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
