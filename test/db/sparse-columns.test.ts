/**
 * The store's narrow stand-ins for per-datom columns, against plain arrays: assertion flags as bits
 * (src/db/bit-column.ts), each datom's entity as
 * a byte above its block's first (src/db/entity-column.ts), attribute lists of positions as two
 * bytes above their block's first (src/db/position-list.ts), values as four bytes when they are
 * integers below 2^32 (src/db/value-column.ts), entity chains as
 * one-byte steps with a table of far links (src/db/links.ts), retractions as a bitmap and a table
 * (src/db/retractions.ts), postings of interned ids as a dense array (src/db/postings.ts). Each
 * is checked live and after a round trip through its image, as a checkpoint takes it. Attribute
 * slots are one byte each until a schema outgrows them, checked through a store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../src/db/assert.js';
import { BitColumn } from '../../src/db/bit-column.js';
import { NONE } from '../../src/db/datoms.js';
import { EntityColumn } from '../../src/db/entity-column.js';
import { EntityLinks } from '../../src/db/links.js';
import { PositionList } from '../../src/db/position-list.js';
import { Postings } from '../../src/db/postings.js';
import { Retractions } from '../../src/db/retractions.js';
import { StepColumn } from '../../src/db/step-column.js';
import { ValueColumn } from '../../src/db/value-column.js';
import { open, storage } from '../../src/index.js';
import { temporaryDirs } from '../store/support.js';

const tempDir = temporaryDirs('slots');

/**
 * Entity of each datom: a few entities, each datom of one followed by a run of datoms of fresh
 * entities, so that steps back fall on both sides of the one-byte limit.
 */
const entitiesArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, 1, 2, 253, 254, 255, 256, 600)), {
    maxLength: 12,
  })
  .map((pairs) => {
    let fresh = 4;
    return pairs.flatMap(([entity, gap]) => [entity, ...Array.from({ length: gap }, () => fresh++)]);
  });

test('entity links give each datom the previous position of its entity, near and far', () => {
  fc.assert(
    fc.property(entitiesArb, fc.integer({ min: 0, max: 3000 }), (entities, cut) => {
      const last = new Map<number, number>();
      const expected: number[] = [];
      const links = new EntityLinks();
      let imaged: EntityLinks | undefined;
      entities.forEach((entity, p) => {
        if (p === cut) imaged = EntityLinks.restore(links.image());
        const previous = last.get(entity) ?? NONE;
        expected.push(previous);
        links.push(previous);
        last.set(entity, p);
      });
      imaged ??= EntityLinks.restore(links.image());
      expected.forEach((previous, p) => assert.equal(links.previous(p), previous, `previous of ${p}`));
      const upTo = Math.min(cut, expected.length);
      for (let p = 0; p < upTo; p++) assert.equal(imaged.previous(p), expected[p], `imaged previous of ${p}`);
    }),
  );
});

test("the entity column answers each datom's entity, near its block's first and far from it", () => {
  // Runs of one entity, new entities ascending, and jumps back to old ones or far ahead.
  const run = fc.tuple(
    fc.oneof(fc.constant('next'), fc.constant('same'), fc.integer({ min: 0, max: 70_000 })),
    fc.integer({ min: 1, max: 80 }),
  );
  fc.assert(
    fc.property(fc.array(run, { maxLength: 40 }), fc.nat(3000), fc.boolean(), (runs, cut, room) => {
      const expected: number[] = [];
      let entity = 10;
      for (const [kind, length] of runs) {
        entity = kind === 'next' ? entity + 1 : kind === 'same' ? entity : kind;
        for (let i = 0; i < length; i++) expected.push(entity);
      }
      sameAsArray(EntityColumn, expected, cut, room);
    }),
  );
});

test('the position list answers each position and counts those below any bound, near and far', () => {
  // Steps between a list's positions: a tick's datoms apart, a batch apart, and past two bytes.
  const gap = fc.constantFrom(1, 2, 5, 300, 1024, 65_534, 65_535, 65_536, 200_000);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(gap, fc.integer({ min: 1, max: 90 })), { maxLength: 30 }),
      fc.nat(3000),
      fc.boolean(),
      fc.array(fc.nat(3_000_000), { maxLength: 20 }),
      (runs, cut, room, bounds) => {
        const expected: number[] = [];
        let p = 0;
        for (const [step, length] of runs) for (let i = 0; i < length; i++) expected.push((p += step));
        const list = sameAsArray(PositionList, expected, cut, room);
        assert.ok(list.ascending(), 'an ascending list is found ascending');
        if (expected.length > 1) {
          const swapped = [...expected];
          swapped.splice(0, 2, expected[1]!, expected[0]!);
          assert.equal(PositionList.of(swapped).ascending(), false, 'a list with two entries swapped is not');
        }
        for (const bound of [...bounds, ...expected, ...expected.map((q) => q + 1), 0]) {
          const below = expected.filter((q) => q < bound).length;
          assert.equal(list.countBelow(bound), below, `positions below ${bound}`);
        }
      },
    ),
  );
});

/**
 * Checks a step column against the plain array of its values: pushed live, restored from an
 * image taken after `cut` values (given room or not) and pushed the rest, and built at once.
 */
function sameAsArray<C extends EntityColumn | PositionList>(
  kind: new () => C,
  expected: number[],
  cut: number,
  room: boolean,
): C {
  const { column, imaged, rebuilt, held } = builtThreeWays<C, number>(
    () => new kind(),
    (image: ReturnType<C['image']>) => StepColumn.restore.call(kind, image, room) as C,
    (values) => StepColumn.of.call(kind, values) as C,
    expected,
    cut,
  );
  for (const [name, c] of Object.entries({ column, imaged, rebuilt })) {
    assert.equal(c.length, expected.length, `${name} length`);
    expected.forEach((value, i) => assert.equal(c.at(i), value, `${name} entry ${i} (${held} held)`));
  }
  return column;
}

/**
 * A column three ways: pushed `values` live; restored from its image taken after `cut` of them and
 * pushed the rest (a restored column goes on taking values); built at once. `held`: the values the
 * image held.
 */
function builtThreeWays<C extends { length: number; push(value: V): void; image(): unknown }, V>(
  make: () => C,
  restore: (image: ReturnType<C['image']>) => C,
  rebuild: (values: V[]) => C,
  values: V[],
  cut: number,
): { column: C; imaged: C; rebuilt: C; held: number } {
  const column = make();
  let imaged: C | undefined;
  values.forEach((value, i) => {
    if (i === cut) imaged = restore(column.image() as ReturnType<C['image']>);
    column.push(value);
  });
  imaged ??= restore(column.image() as ReturnType<C['image']>);
  const held = imaged.length;
  for (let i = held; i < values.length; i++) imaged.push(values[i]!);
  return { column, imaged, rebuilt: rebuild(values), held };
}

test('the value column answers each value, small (four bytes) or wide, live, restored and rebuilt', () => {
  const value = fc.oneof(
    fc.nat(),
    fc.constantFrom(0, -0, 1, 0xffff_ffff, 2 ** 32, -1, 0.5, Number.NaN, Number.MAX_SAFE_INTEGER, 1.7e12),
    fc.double(),
  );
  fc.assert(
    fc.property(fc.array(value, { maxLength: 300 }), fc.nat(320), (values, cut) => {
      const { column, imaged, rebuilt } = builtThreeWays<ValueColumn, number>(
        () => new ValueColumn(),
        (image) => ValueColumn.restore(image),
        (all) => ValueColumn.of(all),
        values,
        cut,
      );
      for (const [name, c] of Object.entries({ column, imaged, rebuilt })) {
        assert.equal(c.length, values.length, `${name} length`);
        // Object.is: -0 stays -0 and NaN stays NaN.
        values.forEach((v, p) => assert.ok(Object.is(c.at(p), v), `${name} value ${p}: ${c.at(p)} for ${v}`));
      }
      const image = column.image();
      const { small, wide } = image;
      if (values.length > 32) {
        const miscounted = { ...image, words: image.words.slice() };
        miscounted.words[3]! += 1;
        assert.throws(() => ValueColumn.restore(miscounted), InvariantError, 'a wrong count is refused');
      }
      assert.equal(small.length, values.filter((v) => Object.is(v >>> 0, v)).length, 'small values');
      assert.equal(wide.length, values.length - small.length, 'wide values');
    }),
  );
});

test('the bit column answers each bit pushed, live, restored from its image and rebuilt from bytes', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 200 }), fc.nat(220), (bits, cut) => {
      // The restored column goes on taking bits, over whatever its last byte held.
      const { column, imaged, rebuilt } = builtThreeWays<BitColumn, boolean>(
        () => new BitColumn(),
        (image) => BitColumn.restore(image),
        (all) => BitColumn.of(all.map(Number)),
        bits,
        cut,
      );
      for (const [name, c] of Object.entries({ column, imaged, rebuilt })) {
        assert.equal(c.length, bits.length, `${name} length`);
        bits.forEach((bit, p) => assert.equal(c.has(p), bit, `${name} bit ${p}`));
      }
    }),
  );
});

test('retractions answer the end of each retracted assertion and NONE for the rest', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.nat(5000), { maxLength: 200 }), (retracted) => {
      const retractions = new Retractions();
      const ends = new Map<number, number>();
      retracted.forEach((p, i) => {
        retractions.set(p, 5001 + i);
        ends.set(p, 5001 + i);
      });
      const restored = Retractions.restore(retractions.image());
      for (let p = 0; p <= 5100; p++) {
        assert.equal(retractions.end(p), ends.get(p) ?? NONE, `end of ${p}`);
        assert.equal(restored.end(p), ends.get(p) ?? NONE, `restored end of ${p}`);
      }
      if (retracted.length > 0) assert.throws(() => retractions.set(retracted[0]!, 9999), /retracted once/);
    }),
  );
});

test('dense and hashed postings answer alike for interned ids', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(300), { maxLength: 600 }), (keys) => {
      const dense = Postings.create(true);
      const hashed = Postings.create(false);
      keys.forEach((key, p) => {
        dense.add(key, p);
        hashed.add(key, p);
      });
      const restored = Postings.restore(dense.snapshot());
      for (const key of [-1, 0.5, 301, 10_000, ...keys]) {
        for (const postings of [dense, restored]) {
          assert.equal(postings.count(key), hashed.count(key), `count of ${key}`);
          assert.deepEqual([...postings.list(key)], [...hashed.list(key)], `positions of ${key}`);
          assert.equal(postings.first(key), hashed.first(key), `first of ${key}`);
          const bound = keys.length >> 1;
          assert.equal(
            postings.latestWhere(key, bound, (p) => p % 2 === 0),
            hashed.latestWhere(key, bound, (p) => p % 2 === 0),
            `latest even position of ${key} below ${bound}`,
          );
        }
      }
    }),
  );
});

test('attribute slots take one byte each until a schema outgrows 256 attributes, then two, through a reopen', async () => {
  const dir = tempDir();
  const attrs = Array.from({ length: 300 }, (_, i) => `x/a${i}`);
  const entity = (k: number) => Object.fromEntries(attrs.map((ident, i) => [ident, k * 1000 + i]));
  const conn = await open({ storage: storage.persistent(dir) });
  await conn.transact(attrs.slice(0, 100).map((ident) => ({ 'db/ident': ident, 'db/valueType': 'integer' })));
  const narrow = await conn.transact([
    { 'db/id': 'n', ...Object.fromEntries(attrs.slice(0, 100).map((a, i) => [a, i])) },
  ]);
  assert.ok(conn.view.datomStore.a.data instanceof Uint8Array, 'one byte per slot while slots fit');
  await conn.transact(attrs.slice(100).map((ident) => ({ 'db/ident': ident, 'db/valueType': 'integer' })));
  const wide = await conn.transact([{ 'db/id': 'w', ...entity(7) }]);
  assert.ok(conn.view.datomStore.a.data instanceof Uint16Array, 'two bytes once a slot needs them');
  const read = (c: typeof conn) => ({
    narrow: c.asOf(narrow.tx).pull(narrow.tempids.n!, ['*']),
    wide: c.view.pull(wide.tempids.w!, ['*']),
  });
  const expected = read(conn);
  assert.deepEqual(expected.wide, { 'db/id': wide.tempids.w, ...entity(7) });
  await conn.close();
  const reopened = await open({ storage: storage.persistent(dir) });
  assert.ok(reopened.view.datomStore.a.data instanceof Uint16Array, 'loaded as wide as it was saved');
  assert.deepEqual(read(reopened), expected);
  const more = await reopened.transact([{ 'db/id': 'm', ...entity(8) }]);
  assert.deepEqual(reopened.view.pull(more.tempids.m!, ['*']), { 'db/id': more.tempids.m, ...entity(8) });
  assert.deepEqual(read(reopened), expected, 'the datoms loaded survive the column growing');
  await reopened.close();
});
