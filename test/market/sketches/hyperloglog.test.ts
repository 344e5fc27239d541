/**
 * HyperLogLog against exact distinct counts on random streams: the stated standard error holds
 * at the stated probabilities over many seeded streams; merging shards' sketches gives exactly
 * the sketch of the union; bytes round-trip and malformed ones are refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GswarmError } from '../../../src/errors.js';
import { hash64 } from '../../../src/market/sketches/hash64.js';
import { HyperLogLog } from '../../../src/market/sketches/hyperloglog.js';

const seed = 20261130;

/** A stream: `distinct` values, each repeated 1..3 times, named after a salt. */
const streamArb = fc.record({
  distinct: fc.integer({ min: 1, max: 12_000 }),
  salt: fc.string({ minLength: 1, maxLength: 6 }),
  repeats: fc.integer({ min: 1, max: 3 }),
});

function sketchOf(precision: number, values: Iterable<string>): HyperLogLog {
  const sketch = new HyperLogLog(precision);
  for (const value of values) sketch.add(value);
  return sketch;
}

function* values(stream: { distinct: number; salt: string; repeats: number }) {
  for (let r = 0; r < stream.repeats; r++)
    for (let i = 0; i < stream.distinct; i++) yield `${stream.salt}:${i}`;
}

describe('HyperLogLog', () => {
  it('errs within 1σ, 2σ and 3σ about as often as a normal estimator (68%, 95%, 99.7%)', () => {
    const precision = 10;
    const sigma = HyperLogLog.relativeStandardError(precision);
    const streams = fc.sample(streamArb, { seed, numRuns: 150 });
    const within = [0, 0, 0];
    for (const stream of streams) {
      const error =
        Math.abs(sketchOf(precision, values(stream)).estimate() - stream.distinct) / stream.distinct;
      for (let k = 0; k < 3; k++) if (error <= (k + 1) * sigma) within[k]!++;
    }
    const share = within.map((n) => n / streams.length);
    // Sampling slack for 150 streams: a few points under the normal shares.
    assert.ok(share[0]! >= 0.6, `within 1σ: ${share[0]}`);
    assert.ok(share[1]! >= 0.9, `within 2σ: ${share[1]}`);
    assert.ok(share[2]! >= 0.97, `within 3σ: ${share[2]}`);
  });

  it('states 0.81% standard error at the default precision', () => {
    const sketch = new HyperLogLog();
    assert.equal(sketch.precision, 14);
    assert.ok(Math.abs(sketch.relativeStandardError - 0.008125) < 1e-9);
    assert.equal(sketch.estimate(), 0);
  });

  it('counts small sets nearly exactly (linear counting)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 40 }), (distinct) => {
        const sketch = sketchOf(14, [...distinct, ...distinct]);
        assert.ok(
          Math.abs(sketch.estimate() - distinct.length) <= 1,
          `${sketch.estimate()} for ${distinct.length}`,
        );
      }),
      { seed, numRuns: 100 },
    );
  });

  it('merges shards into exactly the sketch of the union, in any order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 3 })), { maxLength: 400 }),
        (rows) => {
          const shards = [0, 1, 2, 3].map(() => new HyperLogLog(8));
          for (const [value, shard] of rows) shards[shard]!.add(value);
          const union = sketchOf(
            8,
            rows.map(([value]) => value),
          );
          const forward = shards.reduce((acc, s) => acc.merge(s), new HyperLogLog(8));
          const backward = [...shards].reverse().reduce((acc, s) => acc.merge(s), new HyperLogLog(8));
          assert.deepEqual(forward.registers, union.registers);
          assert.deepEqual(backward.registers, union.registers);
        },
      ),
      { seed, numRuns: 100 },
    );
  });

  it('round-trips through bytes and refuses malformed bytes or a precision mismatch', () => {
    const sketch = sketchOf(12, ['a', 'b', 'c', 'd']);
    const copy = HyperLogLog.fromBytes(sketch.toBytes());
    assert.deepEqual(copy.registers, sketch.registers);
    assert.equal(copy.estimate(), sketch.estimate());
    const bytes = sketch.toBytes();
    for (const bad of [
      bytes.subarray(0, 100),
      new Uint8Array([9, 12]),
      Uint8Array.of(1, 12, ...new Uint8Array(4096).fill(60)),
    ]) {
      assert.throws(
        () => HyperLogLog.fromBytes(bad),
        (e: unknown) => e instanceof GswarmError && e.code === 'GSW_ERR_SKETCH',
      );
    }
    assert.throws(
      () => new HyperLogLog(12).merge(new HyperLogLog(13)),
      (e: unknown) => e instanceof GswarmError && e.code === 'GSW_ERR_SKETCH' && /12 and 13/.test(e.message),
    );
  });

  it('hashes UTF-8 text to the same bits forever (sketches from other shards and checkpoints agree)', () => {
    assert.deepEqual(hash64(''), { hi: 55667379, lo: 1527166994 });
    assert.deepEqual(hash64('a'), { hi: 2876032940, lo: 1915808479 });
    assert.deepEqual(hash64('BTC-USD'), { hi: 3307606526, lo: 832243115 });
    assert.deepEqual(hash64('é'), { hi: 1341840685, lo: 820570369 });
    assert.deepEqual(hash64('market-12345'), { hi: 3760313507, lo: 2521466886 });
    assert.deepEqual(hash64('x'.repeat(1000)), hash64('x'.repeat(1000)));
  });
});
