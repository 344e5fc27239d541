/**
 * Candles from the store against a naive computation: random batches of ticks with colliding
 * event times, read as of a random tx, bucketed by each interval. The naive side groups every
 * tick visible as of the tx by bucket and picks open and close as the least and greatest
 * (ts, log order).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Candle,
  candleIntervalsMs,
  candlesOf,
  mergedCandles,
  type StoredTick,
  summaryCandlesOf,
} from '../../src/market/candles.js';
import { Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';

interface ModelTick {
  price: number;
  volume: number;
  ts: number;
  /** Log order: the batch, then the row. */
  seq: number;
  batch: number;
}

function naiveCandles(ticks: readonly ModelTick[], intervalMs: number): Candle[] {
  const buckets = new Map<number, ModelTick[]>();
  for (const t of ticks) {
    const start = t.ts - (((t.ts % intervalMs) + intervalMs) % intervalMs);
    buckets.set(start, [...(buckets.get(start) ?? []), t]);
  }
  const byTime = (x: ModelTick, y: ModelTick) => x.ts - y.ts || x.seq - y.seq;
  return [...buckets.entries()]
    .sort(([x], [y]) => x - y)
    .map(([start, group]) => {
      const sorted = [...group].sort(byTime);
      return {
        start,
        open: sorted[0]!.price,
        high: Math.max(...group.map((t) => t.price)),
        low: Math.min(...group.map((t) => t.price)),
        close: sorted[sorted.length - 1]!.price,
        volume: group.reduce((sum, t) => sum + t.volume, 0),
        ticks: group.length,
      };
    });
}

const row = fc.record({
  price: fc.integer({ min: 0, max: 1000 }).map((x) => x / 10),
  // Whole volumes keep sums exact whatever order they are added in.
  volume: fc.integer({ min: 0, max: 50 }),
  // Event times collide often and straddle bucket edges of every interval.
  ts: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 3 * 86_400_000 })),
});

describe('candles', () => {
  it('match a naive grouping of the ticks visible as of any tx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(row, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom(...(Object.values(candleIntervalsMs) as number[]), 7),
        async (batches, pick, intervalMs) => {
          const swarm = await Swarm.open({ storage: storage.memory() });
          try {
            const model: ModelTick[] = [];
            const txs: number[] = [];
            for (const [b, rows] of batches.entries()) {
              const ticks = rows.map((r, i) => ({ id: `t${b}-${i}`, market: 'M', ...r }));
              const markets = b === 0 ? [{ id: 'M' }] : [];
              txs.push((await swarm.ingest({ markets, ticks })).tx);
              for (const r of rows) model.push({ ...r, seq: model.length, batch: b });
            }
            const chosen = pick % batches.length;
            const visible = model.filter((t) => t.batch <= chosen);
            const ticks = swarm.ticks('M', { asOf: txs[chosen] });
            assert.deepEqual(candlesOf(ticks, intervalMs), naiveCandles(visible, intervalMs));
          } finally {
            await swarm.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('opens and closes on the earliest and latest event time, ties by tx', () => {
    const ticks = [
      { price: 5, volume: 1, ts: 1000 },
      { price: 7, volume: 2, ts: 1000 },
      { price: 3, volume: 3, ts: 1999 },
      { price: 9, volume: 4, ts: 2000 },
    ];
    assert.deepEqual(candlesOf(ticks, 1000), [
      { start: 1000, open: 5, high: 7, low: 3, close: 3, volume: 6, ticks: 3 },
      { start: 2000, open: 9, high: 9, low: 9, close: 9, volume: 4, ticks: 1 },
    ]);
  });

  it('of summaries of any pruned ticks and the ticks held equal those of all the ticks', () => {
    // A prune keeps any tick a ref names, so the ticks held and those summed up interleave in store
    // order; summaries written before they kept places count as stored before every tick held.
    const stored = fc.record({
      price: fc.integer({ min: 0, max: 9 }),
      volume: fc.integer({ min: 0, max: 9 }),
      ts: fc.oneof(
        fc.integer({ min: 0, max: 4 }).map((m) => m * 30_000),
        fc.integer({ min: 0, max: 7_200_000 }),
      ),
      tx: fc.integer({ min: 1, max: 4 }),
      held: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(stored, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(60_000, 300_000),
        fc.constantFrom(1, 5, 12),
        fc.boolean(),
        (rows, widthMs, multiple, placeless) => {
          const byPlace = (x: StoredTick, y: StoredTick) => x.ts - y.ts || x.tx - y.tx || x.e - y.e;
          const ticks = rows.map(({ held: _, ...r }, e) => ({ ...r, e })).sort(byPlace);
          // Placeless summaries are of older ticks only: those of the first tx are pruned.
          const held = (t: StoredTick) => (placeless ? t.tx > 1 : rows[t.e]!.held);
          const summaries = summaryCandlesOf(
            ticks.filter((t) => !held(t)),
            widthMs,
          ).map(({ openTx, openE, closeTx, closeE, ...c }) =>
            placeless ? c : { ...c, openTx, openE, closeTx, closeE },
          );
          const intervalMs = widthMs * multiple;
          assert.deepEqual(
            mergedCandles(summaries, ticks.filter(held), intervalMs),
            candlesOf(ticks, intervalMs),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
