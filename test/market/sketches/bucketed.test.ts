/**
 * Bucketed sketches as of any tx against a naive model: for random ticks committed over many
 * txs, the sketches of a window as of tx T are exactly those built from scratch from the ticks
 * with tx ≤ T in the window's whole buckets (registers and counters equal), whichever snapshot
 * and replay path the answer takes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BucketedSketches } from '../../../src/market/sketches/bucketed.js';
import { mergeDistinct, mergeHot, WindowSketch } from '../../../src/market/sketches/window-sketch.js';

const seed = 20261130;
const bucketMs = 10;

interface Tick {
  tx: number;
  ts: number;
  market: string;
  volume: number;
}

/** Txs 1..n, each with a few ticks of a few markets over a few buckets (late ones included). */
const ticksArb = fc
  .array(
    fc.array(
      fc.record({
        ts: fc.integer({ min: 0, max: 59 }),
        market: fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'),
        volume: fc.integer({ min: 0, max: 9 }),
      }),
      { maxLength: 6 },
    ),
    { minLength: 1, maxLength: 25 },
  )
  .map((txs) => txs.flatMap((ticks, i) => ticks.map((t) => ({ ...t, tx: (i + 1) * 100 }))));

const queryArb = fc.record({
  asOf: fc.integer({ min: 0, max: 2700 }),
  from: fc.integer({ min: -5, max: 65 }),
  span: fc.integer({ min: 0, max: 70 }),
});

function build(ticks: readonly Tick[], snapshotTicks: number): BucketedSketches {
  const sketches = new BucketedSketches({ bucketMs, precision: 8, topKMax: 3, snapshotTicks });
  for (const t of ticks) sketches.add(t.tx, t.ts, sketches.keys.intern(t.market), t.volume);
  return sketches;
}

describe('bucketed sketches as of a tx', () => {
  it('equal the sketches of exactly the ticks committed by the tx in the whole-bucket window', () => {
    fc.assert(
      fc.property(
        ticksArb,
        fc.array(queryArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 4 }),
        (ticks, queries, snapshotTicks) => {
          const sketches = build(ticks, snapshotTicks);
          const { keys, options } = sketches;
          for (const { asOf, from, span } of queries) {
            const to = from + span;
            const window = sketches.window(from, to, asOf);
            assert.equal(window.from, Math.floor(from / bucketMs) * bucketMs);
            assert.equal(window.to, Math.ceil(to / bucketMs) * bucketMs);
            const model = new WindowSketch(options);
            for (const t of ticks) {
              if (t.tx <= asOf && t.ts >= window.from && t.ts < window.to)
                model.add(keys, keys.intern(t.market), t.volume);
            }
            assert.deepEqual(mergeDistinct(options, window.parts).registers, model.distinct.registers);
            for (const by of ['ticks', 'volume'] as const) {
              const merged = mergeHot(options, window.parts, by);
              const counts = by === 'ticks' ? model.ticks : model.volume;
              assert.deepEqual(merged.counts.counters, counts.counters);
              assert.equal(merged.counts.total, counts.total);
            }
          }
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it('answers as of a tx before a bucket was touched with nothing from it', () => {
    const sketches = build(
      [
        { tx: 100, ts: 5, market: 'A', volume: 1 },
        { tx: 200, ts: 5, market: 'B', volume: 1 },
      ],
      1,
    );
    assert.equal(sketches.window(0, 10, 99).parts.length, 0);
    assert.equal(
      Math.round(mergeDistinct(sketches.options, sketches.window(0, 10, 150).parts).estimate()),
      1,
    );
    assert.equal(Math.round(mergeDistinct(sketches.options, sketches.window(0, 10).parts).estimate()), 2);
  });

  it('leaves the live sketches alone when a window is merged', () => {
    const sketches = build([{ tx: 1, ts: 1, market: 'A', volume: 2 }], 4);
    const before = sketches.window(0, 10).parts[0]!.ticks.counters.slice();
    mergeHot(sketches.options, [...sketches.window(0, 10).parts, ...sketches.window(0, 10).parts], 'ticks');
    assert.deepEqual(sketches.window(0, 10).parts[0]!.ticks.counters, before);
  });
});
