/** Packed checkpoint sections unpack to exactly what was packed, across frame boundaries. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { packingFor, packSection, unpackSection } from '../../src/store/section-packing.js';

test('any uint8, uint16 and uint32 section round-trips, increasing or not', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(0xffff), { maxLength: 300 }).map((a) => Uint16Array.from(a)),
        fc.array(fc.nat(0xffffffff), { maxLength: 300 }).map((a) => Uint32Array.from(a)),
      ),
      async (array) => {
        const packing = packingFor('col.x', array)!;
        const frames = await packSection(array, packing);
        const ctor = array.constructor as Uint8ArrayConstructor;
        assert.deepEqual(unpackSection(new ctor(array.length), frames, packing), array);
      },
    ),
  );
});

test('a section of several frames round-trips, and a missing or damaged frame is refused', async () => {
  // 3M positions, increasing with jumps and one wrap back: 12 MiB, three frames.
  const positions = Uint32Array.from({ length: 3_000_000 }, (_, i) =>
    i === 2_000_000 ? 7 : i * 5 + (i % 3),
  );
  const frames = await packSection(positions, 'delta');
  assert.equal(frames.length, 3);
  assert.ok(frames.reduce((n, f) => n + f.byteLength, 0) < positions.byteLength / 100, 'packs small');
  assert.deepEqual(unpackSection(new Uint32Array(positions.length), frames, 'delta'), positions);
  assert.throws(() => unpackSection(new Uint32Array(positions.length), frames.slice(1), 'delta'));
  const damaged = frames.map((f) => f.slice());
  damaged[1] = damaged[1]!.subarray(0, damaged[1]!.byteLength - 3);
  assert.throws(() => unpackSection(new Uint32Array(positions.length), damaged, 'delta'));
  assert.equal(packingFor('values.wide', new Float64Array(1)), undefined, 'values stay raw');
  assert.equal(packingFor('values.small', new Uint32Array(1)), undefined, 'small values stay raw');
  assert.equal(packingFor('str.table', new Uint32Array(1)), 'zstd', 'the hash table is not a sorted list');
});
