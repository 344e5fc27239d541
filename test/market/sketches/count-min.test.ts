/**
 * Count-Min against exact counts on random streams: estimates never undercount, and overcount by
 * more than ε·N no more often than δ over many seeded streams; conservative update is never worse;
 * merging shards' sketches gives exactly the sketch of the union; the top-k finds the heavy keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GswarmError } from '../../../src/errors.js';
import { CountMin } from '../../../src/market/sketches/count-min.js';
import { TopK } from '../../../src/market/sketches/top-k.js';

const seed = 20261130;

/** A skewed stream: key i drawn with weight ~ 1/(i+1), integral weights. */
const streamArb = fc.array(
  fc.tuple(
    fc.integer({ min: 0, max: 999 }).map((x) => Math.floor(1000 / (x + 1)) - 1),
    fc.integer({ min: 1, max: 5 }),
  ),
  { minLength: 500, maxLength: 3000 },
);

function exactTotals(stream: readonly (readonly [number, number])[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [key, weight] of stream) totals.set(`k${key}`, (totals.get(`k${key}`) ?? 0) + weight);
  return totals;
}

describe('Count-Min', () => {
  it('shapes width and depth from ε and δ and guarantees at least that', () => {
    const sketch = CountMin.forError({ epsilon: 0.01, delta: 0.05 });
    assert.equal(sketch.width, 272);
    assert.equal(sketch.depth, 3);
    assert.ok(sketch.epsilon <= 0.01 && sketch.delta <= 0.05);
  });

  it('never undercounts, and errs by more than ε·N at most a δ share of the time', () => {
    const options = { epsilon: 0.02, delta: 0.1 };
    let checked = 0;
    let beyond = 0;
    for (const stream of fc.sample(streamArb, { seed, numRuns: 60 })) {
      const plain = CountMin.forError(options);
      const conservative = CountMin.forError({ ...options, conservative: true });
      for (const [key, weight] of stream) {
        plain.add(`k${key}`, weight);
        conservative.add(`k${key}`, weight);
      }
      const totals = exactTotals(stream);
      const n = [...totals.values()].reduce((x, y) => x + y, 0);
      assert.equal(plain.total, n);
      for (const [key, truth] of totals) {
        const estimate = plain.estimate(key);
        const tighter = conservative.estimate(key);
        assert.ok(estimate >= truth, `${key}: ${estimate} < ${truth}`);
        assert.ok(tighter >= truth && tighter <= estimate, `${key}: conservative ${tighter}`);
        checked++;
        if (estimate - truth > plain.errorBound()) beyond++;
      }
      assert.equal(
        plain.estimate('never-seen') <= plain.errorBound() || plain.estimate('never-seen') >= 0,
        true,
      );
    }
    assert.ok(checked > 1000);
    assert.ok(beyond / checked <= CountMin.forError(options).delta, `${beyond} of ${checked} beyond ε·N`);
  });

  it('returns from each add the estimate the key then has', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.nat(9))),
        fc.boolean(),
        (rows, conservative) => {
          const sketch = CountMin.forError({ epsilon: 0.2, delta: 0.2, conservative });
          for (const [key, weight] of rows) assert.equal(sketch.add(key, weight), sketch.estimate(key));
        },
      ),
      { seed, numRuns: 100 },
    );
  });

  it('merges shards into exactly the sketch of the union (counters add)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.nat(20), fc.nat(2))), (rows) => {
        const shape = { epsilon: 0.05, delta: 0.05 };
        const shards = [0, 1, 2].map(() => CountMin.forError(shape));
        const union = CountMin.forError(shape);
        for (const [key, weight, shard] of rows) {
          shards[shard]!.add(key, weight);
          union.add(key, weight);
        }
        const merged = shards.reduce((acc, s) => acc.merge(s), CountMin.forError(shape));
        assert.deepEqual(merged.counters, union.counters);
        assert.equal(merged.total, union.total);
      }),
      { seed, numRuns: 100 },
    );
  });

  it('round-trips through bytes and refuses malformed bytes or a shape mismatch', () => {
    const sketch = CountMin.forError({ epsilon: 0.1, delta: 0.1, conservative: true });
    sketch.add('a', 3);
    sketch.add('b', 0.5);
    const copy = CountMin.fromBytes(sketch.toBytes());
    assert.deepEqual(copy.counters, sketch.counters);
    assert.equal(copy.total, 3.5);
    assert.equal(copy.conservative, true);
    assert.equal(copy.estimate('a'), sketch.estimate('a'));
    for (const bad of [sketch.toBytes().subarray(0, 30), new Uint8Array(24)]) {
      assert.throws(
        () => CountMin.fromBytes(bad),
        (e: unknown) => e instanceof GswarmError && e.code === 'GSW_ERR_SKETCH',
      );
    }
    assert.throws(
      () =>
        CountMin.forError({ epsilon: 0.1, delta: 0.1 }).merge(
          CountMin.forError({ epsilon: 0.2, delta: 0.1 }),
        ),
      (e: unknown) =>
        e instanceof GswarmError && e.code === 'GSW_ERR_SKETCH' && /28x3 and 14x3/.test(e.message),
    );
    assert.throws(
      () => CountMin.forError({ epsilon: 0, delta: 0.1 }),
      (e: unknown) => e instanceof GswarmError && e.code === 'GSW_ERR_SKETCH',
    );
  });

  it('keeps in its top-k every key heavier than the k-th heaviest by more than ε·N', () => {
    for (const stream of fc.sample(streamArb, { seed, numRuns: 30 })) {
      const sketch = CountMin.forError({ epsilon: 0.005, delta: 0.01 });
      const top = new TopK(5);
      for (const [key, weight] of stream) {
        sketch.add(`k${key}`, weight);
        top.offer(key, sketch.estimate(`k${key}`));
      }
      const ranked = [...exactTotals(stream)].sort((x, y) => y[1] - x[1]);
      const kth = ranked[Math.min(4, ranked.length - 1)]![1];
      const candidates = new Set(top.candidates().map((key) => `k${key}`));
      assert.ok(top.size <= 5);
      for (const [key, truth] of ranked) {
        if (truth > kth + sketch.errorBound()) assert.ok(candidates.has(key), `${key} (${truth}) missing`);
      }
    }
  });
});
