/**
 * swarm.latest({ asOf }) and swarm.ticks(...) against a naive model: random batches with
 * out-of-order event times, re-sent ticks, markets created along the way and retracted ticks.
 * The latest tick of a market is the one with the greatest ts; ties go to the later one in log
 * order (the later tx, and within a tx the later row).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Swarm, type TickRow } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';

interface ModelTick extends TickRow {
  tx: number;
  /** Log order. */
  seq: number;
  retractedTx?: number;
}

type Op =
  | {
      kind: 'batch';
      newMarket: boolean;
      rows: { market: number; price: number; volume: number; ts: number; resend: number | null }[];
    }
  | { kind: 'retract'; pick: number };

const pool = ['A', 'B', 'C', 'D', 'E'];

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      newMarket: fc.boolean(),
      rows: fc.array(
        fc.record({
          market: fc.nat(),
          price: fc.integer({ min: 0, max: 1000 }).map((x) => x / 10),
          volume: fc.integer({ min: 0, max: 50 }),
          ts: fc.integer({ min: 0, max: 25 }),
          resend: fc.option(fc.nat(), { freq: 5, nil: null }),
        }),
        { minLength: 0, maxLength: 10 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retract' as const), pick: fc.nat() }) },
);

const query = fc.record({
  asOf: fc.nat(),
  between: fc.boolean(),
  market: fc.nat(),
  from: fc.option(fc.integer({ min: -1, max: 26 }), { nil: undefined }),
  to: fc.option(fc.integer({ min: -1, max: 27 }), { nil: undefined }),
  limit: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
});

describe('latest and ticks against a naive model (property)', () => {
  it('match for random histories and random as-of txs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 14 }),
        fc.array(query, { minLength: 1, maxLength: 12 }),
        async (ops, queries) => {
          const swarm = await Swarm.open({ storage: storage.memory() });
          const first = await swarm.ingest({ markets: [{ id: 'A' }, { id: 'B' }] });
          const marketsAt: { id: string; tx: number }[] = [
            { id: 'A', tx: first.tx },
            { id: 'B', tx: first.tx },
          ];
          const ticks: ModelTick[] = [];
          const txs = [first.tx];
          let seq = 0;
          let n = 0;
          const live = () => ticks.filter((t) => t.retractedTx === undefined);
          try {
            for (const o of ops) {
              if (o.kind === 'retract') {
                const candidates = live();
                if (candidates.length === 0) continue;
                const victim = candidates[o.pick % candidates.length]!;
                const { tx } = await swarm.conn.transact([['db/retractEntity', ['tick/id', victim.id]]]);
                victim.retractedTx = tx;
                txs.push(tx);
                continue;
              }
              const markets: { id: string }[] = [];
              const known = marketsAt.map((m) => m.id);
              if (o.newMarket && known.length < pool.length) {
                const id = pool[known.length]!;
                markets.push({ id });
                known.push(id);
              }
              const rows: TickRow[] = o.rows.map((r) => {
                const sent = live();
                if (r.resend !== null && sent.length > 0) {
                  const { id, market, price, volume, ts } = sent[r.resend % sent.length]!;
                  return { id, market, price, volume, ts };
                }
                return {
                  id: `t${n++}`,
                  market: known[r.market % known.length]!,
                  price: r.price,
                  volume: r.volume,
                  ts: r.ts,
                };
              });
              const result = await swarm.ingest({ markets, ticks: rows });
              const fresh: TickRow[] = [];
              for (const row of rows) {
                if (live().some((t) => t.id === row.id) || fresh.some((t) => t.id === row.id)) continue;
                fresh.push(row);
              }
              assert.equal(result.accepted, fresh.length);
              assert.equal(result.duplicates, rows.length - fresh.length);
              if (fresh.length === 0 && markets.length === 0) {
                assert.equal(result.tx, txs[txs.length - 1], 'a batch of duplicates takes no tx');
                continue;
              }
              for (const row of fresh) ticks.push({ ...row, tx: result.tx, seq: seq++ });
              for (const m of markets) marketsAt.push({ id: m.id, tx: result.tx });
              txs.push(result.tx);
            }

            const visible = (asOf: number) =>
              ticks.filter((t) => t.tx <= asOf && (t.retractedTx === undefined || t.retractedTx > asOf));
            const expectedLatest = (asOf: number) => {
              const out: Record<
                string,
                { price: number; volume: number; ts: number; tick: string; tx: number }
              > = {};
              for (const t of visible(asOf)) {
                const best = out[t.market];
                // Log order: a later tick wins a tie on ts.
                if (best === undefined || t.ts >= best.ts)
                  out[t.market] = { price: t.price, volume: t.volume, ts: t.ts, tick: t.id, tx: t.tx };
              }
              return out;
            };
            const basisOf = (asOf: number) => txs.filter((tx) => tx <= asOf).at(-1)!;

            // Current view.
            const now = swarm.latest();
            assert.equal(now.basisTx, txs.at(-1));
            assert.deepEqual(now.markets, expectedLatest(txs.at(-1)!));
            assert.equal(now.counts['tick/id'], visible(txs.at(-1)!).length);
            assert.equal(now.counts['market/id'], marketsAt.length);

            for (const q of queries) {
              // An as-of tx: one of the history's txs, or a point between two of them.
              const i = q.asOf % txs.length;
              const asOf = q.between && i + 1 < txs.length ? txs[i]! + 1 : txs[i]!;
              const latest = swarm.latest({ asOf });
              assert.equal(latest.basisTx, basisOf(asOf));
              assert.deepEqual(latest.markets, expectedLatest(asOf), `latest as of ${asOf}`);
              assert.equal(latest.counts['tick/id'], visible(asOf).length);
              assert.equal(latest.counts['market/id'], marketsAt.filter((m) => m.tx <= asOf).length);
              const chosen = pool[q.market % pool.length]!;
              const some = swarm.latest({ asOf, markets: [chosen, 'nowhere'] });
              const expected = expectedLatest(asOf)[chosen];
              assert.deepEqual(some.markets, expected ? { [chosen]: expected } : {});

              const options: { from?: number; to?: number; asOf: number; limit?: number } = { asOf };
              if (q.from !== undefined) options.from = q.from;
              if (q.to !== undefined) options.to = q.to;
              if (q.limit !== undefined) options.limit = q.limit;
              const range = visible(asOf)
                .filter(
                  (t) =>
                    t.market === chosen &&
                    t.ts >= (q.from ?? Number.NEGATIVE_INFINITY) &&
                    t.ts < (q.to ?? Number.POSITIVE_INFINITY),
                )
                .sort((x, y) => x.ts - y.ts || x.seq - y.seq)
                .slice(0, q.limit ?? Number.POSITIVE_INFINITY)
                .map(({ id, market, price, volume, ts }) => ({ id, market, price, volume, ts }));
              if (marketsAt.some((m) => m.id === chosen && m.tx <= asOf)) {
                assert.deepEqual(
                  swarm.ticks(chosen, options),
                  range,
                  `ticks of ${chosen} ${JSON.stringify(options)}`,
                );
              } else {
                assert.throws(() => swarm.ticks(chosen, options), { code: 'GSW_ERR_NOT_FOUND' });
              }
            }
            assert.throws(() => swarm.ticks('nowhere'), { code: 'GSW_ERR_NOT_FOUND' });
          } finally {
            await swarm.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('latest and ticks, by example', () => {
  it('out-of-order event times: the latest is by ts, not by arrival; ties go to the later tx', async () => {
    const swarm = await Swarm.open({ storage: storage.memory() });
    const t = (id: string, price: number, ts: number): TickRow => ({ id, market: 'A', price, volume: 1, ts });
    const m = await swarm.ingest({ markets: [{ id: 'A' }] });
    const r1 = await swarm.ingest({ ticks: [t('t1', 1, 100), t('t2', 2, 300), t('t3', 3, 200)] });
    const r2 = await swarm.ingest({ ticks: [t('t4', 4, 50)] });
    const r3 = await swarm.ingest({ ticks: [t('t5', 5, 300)] });
    assert.deepEqual(swarm.latest({ asOf: m.tx }).markets, {});
    assert.equal(swarm.latest({ asOf: r1.tx }).markets.A?.tick, 't2');
    assert.equal(
      swarm.latest({ asOf: r2.tx }).markets.A?.tick,
      't2',
      'a late tick with an old ts is not the latest',
    );
    assert.deepEqual(swarm.latest({ asOf: r3.tx }).markets.A, {
      price: 5,
      volume: 1,
      ts: 300,
      tick: 't5',
      tx: r3.tx,
    });
    assert.deepEqual(
      swarm.ticks('A', { asOf: r2.tx }).map((x) => x.id),
      ['t4', 't1', 't3', 't2'],
    );
    assert.deepEqual(
      swarm.ticks('A', { from: 100, to: 300 }).map((x) => x.id),
      ['t1', 't3'],
    );
    assert.deepEqual(
      swarm.ticks('A', { from: 300, limit: 1 }).map((x) => x.id),
      ['t2'],
    );
    // Retracting the latest falls back to the next one.
    const retraction = await swarm.conn.transact([['db/retractEntity', ['tick/id', 't5']]]);
    assert.equal(swarm.latest().markets.A?.tick, 't2');
    assert.equal(swarm.latest({ asOf: r3.tx }).markets.A?.tick, 't5');
    assert.equal(swarm.latest({ asOf: retraction.tx }).counts['tick/id'], 4);
    await swarm.close();
  });
});
