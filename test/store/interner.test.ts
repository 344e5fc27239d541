/**
 * The string interner keeps strings as UTF-8 in one byte table: any well-formed strings (multi-byte,
 * empty, repeated) get dense ids that name them back, a snapshot cut into pieces of any size
 * restores to an interner that finds every string by id and by value and goes on interning, its
 * byte count is exact, and a checkpoint carries the strings through a file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../src/db/assert.js';
import { hashBytes, tableFull, tableSizeFor } from '../../src/db/hash.js';
import { Interner } from '../../src/db/intern.js';
import { PositionList } from '../../src/db/position-list.js';
import { GswarmError } from '../../src/errors.js';
import { open, schemas, storage } from '../../src/index.js';
import { readCheckpoint, writeCheckpoint } from '../../src/store/checkpoint.js';
import { stringsOf, temporaryDirs } from './support.js';

const tempDir = temporaryDirs('strings');

const anyString = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 3 }));

/** The naive model: a Map from string to the order it was first seen in. */
function modelOf(strings: readonly string[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (const s of strings) if (!ids.has(s)) ids.set(s, ids.size);
  return ids;
}

function assertHolds(interner: Interner, model: Map<string, number>): void {
  assert.equal(interner.size, model.size);
  for (const [s, id] of model) {
    assert.equal(interner.string(id), s);
    assert.equal(interner.lookup(s), id);
  }
}

describe('the string interner', () => {
  it('names each distinct string once, in order, as a Map would, and finds it by id and by value', () => {
    fc.assert(
      fc.property(
        fc.array(anyString, { maxLength: 200 }),
        fc.array(anyString, { maxLength: 20 }),
        (strings, probes) => {
          const interner = new Interner();
          const model = modelOf(strings);
          strings.forEach((s) => assert.equal(interner.intern(s), model.get(s)));
          assertHolds(interner, model);
          for (const probe of probes) assert.equal(interner.lookup(probe), model.get(probe) ?? -1);
        },
      ),
    );
  });

  it('restores from a snapshot cut into pieces of any size, states its bytes exactly, and goes on interning', () => {
    fc.assert(
      fc.property(
        fc.array(anyString, { maxLength: 80 }),
        fc.array(anyString, { maxLength: 40 }),
        fc.integer({ min: 1, max: 64 }),
        (first, later, pieceBytes) => {
          const interner = new Interner();
          for (const s of first) interner.intern(s);
          const snapshot = interner.snapshot();
          const pieces = [...snapshot.chunks(pieceBytes)];
          assert.ok(pieces.every((p) => p.byteLength <= pieceBytes));
          const utf8 = [...modelOf(first).keys()].reduce((n, s) => n + Buffer.byteLength(s), 0);
          assert.equal(snapshot.byteLength, utf8);
          assert.equal(
            pieces.reduce((n, p) => n + p.byteLength, 0),
            utf8,
          );
          const restored = Interner.restore({ ...snapshot, chunks: () => pieces });
          // A table saved before tags existed gets the very tags the interner kept (restored from
          // copies: a restore takes the table and the bytes over).
          const untagged = Interner.restore({
            ...snapshot,
            table: snapshot.table.slice(),
            tags: undefined,
            chunks: () => pieces.map((piece) => piece.slice()),
          });
          assert.deepEqual(untagged.snapshot().tags, snapshot.tags);
          for (const s of later) {
            restored.intern(s);
            untagged.intern(s);
          }
          assertHolds(restored, modelOf([...first, ...later]));
          assertHolds(untagged, modelOf([...first, ...later]));
        },
      ),
    );
  });

  it('reads a table written with a length before each string (older checkpoints) as the same strings', () => {
    fc.assert(
      fc.property(fc.array(anyString, { maxLength: 60 }), (strings) => {
        const interner = new Interner();
        for (const s of strings) interner.intern(s);
        const snapshot = interner.snapshot();
        const encoded = [...modelOf(strings).keys()].map((s) => Buffer.from(s, 'utf8'));
        const prefixed = Buffer.concat(encoded.flatMap((b) => [uint32(b.byteLength), b]));
        const { bytes, offsets } = Interner.unprefixed(prefixed, snapshot.count);
        assert.deepEqual(Buffer.from(bytes), Buffer.concat([...snapshot.chunks()]));
        assert.deepEqual(PositionList.of(offsets).image(), snapshot.offsets);
        if (encoded.length > 0) {
          assert.throws(() => Interner.unprefixed(prefixed, snapshot.count + 1), InvariantError);
          assert.throws(
            () => Interner.unprefixed(prefixed.subarray(0, prefixed.length - 1), snapshot.count),
            InvariantError,
          );
          for (const length of [0xffffffff, encoded[0]!.byteLength + 1]) {
            const misread = Buffer.from(prefixed);
            misread.writeUInt32LE(length, 0);
            assert.throws(() => Interner.unprefixed(misread, snapshot.count), InvariantError, `${length}`);
          }
        }
      }),
    );
  });

  it('grows its table a few strings at a time, finding every string meanwhile, into the layout one rehash in id order gives', () => {
    // The reference: every string's id put in its first free slot from its hash, in id order, in
    // a table sized as the interner sizes it when it grows (what checkpoints have always saved).
    const layoutOf = (strings: readonly string[], size: number) => {
      const table = new Uint32Array(size);
      strings.forEach((s, id) => {
        const bytes = Buffer.from(s, 'utf8');
        let slot = hashBytes(bytes, 0, bytes.length) & (size - 1);
        while (table[slot] !== 0) slot = (slot + 1) & (size - 1);
        table[slot] = id + 1;
      });
      return table;
    };
    const strings = Array.from({ length: 5000 }, (_, i) => `tick-${i}`);
    const interner = new Interner();
    let size = tableSizeFor(0);
    for (const [id, s] of strings.entries()) {
      if (tableFull(id + 1, size)) size = tableSizeFor(id + 1);
      assert.equal(interner.intern(s), id);
      assert.equal(interner.lookup(s), id);
      assert.equal(interner.lookup(`absent-${id}`), -1);
      assert.equal(interner.lookup(strings[id >>> 1]!), id >>> 1);
      // Snapshots at some counts inside and outside the growth windows: each table is the layout.
      if (id % 97 === 0 || id === 3073 || id === 1537) {
        const taken = strings.slice(0, id + 1);
        const snapshot = interner.snapshot();
        assert.deepEqual(snapshot.table, layoutOf(taken, size), `table after ${id + 1} strings`);
        assertHolds(Interner.restore(snapshot), modelOf(taken));
      }
    }
    assert.deepEqual(interner.snapshot().table, layoutOf(strings, size));
  });

  it('a snapshot is not changed by later interning, even when the table grows', () => {
    const interner = new Interner();
    for (let i = 0; i < 10; i++) interner.intern(`before-${i}`);
    const snapshot = interner.snapshot();
    const bytes = Buffer.concat([...snapshot.chunks()]);
    for (let i = 0; i < 10_000; i++) interner.intern(`after-${i}-${'x'.repeat(i % 50)}`);
    assert.deepEqual(Buffer.concat([...snapshot.chunks()]), bytes);
    const restored = Interner.restore(snapshot);
    assert.equal(restored.size, 10);
    assert.equal(restored.lookup('after-0-'), -1);
  });

  it('refuses a table that does not hold the strings it says, and a string with no UTF-8 form', () => {
    const interner = new Interner();
    interner.intern('a');
    interner.intern('bb');
    const snapshot = interner.snapshot();
    assert.throws(() => Interner.restore({ ...snapshot, count: 3 }), InvariantError);
    assert.throws(() => Interner.restore({ ...snapshot, count: 1 }), InvariantError);
    const torn = Buffer.concat([...snapshot.chunks()]).subarray(0, 0);
    assert.throws(() => Interner.restore({ ...snapshot, chunks: () => [torn] }), InvariantError);
    for (const offsets of [[1, 0], [1, 2], [0, 9], [0]]) {
      const image = { ...snapshot, offsets: PositionList.of(offsets).image() };
      assert.throws(() => Interner.restore(image), InvariantError, `offsets ${offsets}`);
    }
    assert.throws(() => interner.intern('\ud800'), InvariantError);
    assert.equal(interner.lookup('\ud800'), -1);
  });
});

describe('checkpoint files', () => {
  it('carry multi-byte strings through a file', async () => {
    const conn = await open({ storage: storage.memory(), schema: schemas.market });
    const ids = Array.from(
      { length: 50 },
      (_, i) => `market-${'é'.repeat(i % 7)}-${'🦊'.repeat(i % 3)}-${i}`,
    );
    await conn.transact(ids.map((id) => ({ 'market/id': id })));
    const image = conn.view.datomStore.image();
    const path = join(tempDir(), 'checkpoint');
    await writeCheckpoint(path, image, 3);
    const read = await readCheckpoint(path);
    assert.deepEqual(stringsOf(read!.image), stringsOf(image));
    assert.ok(stringsOf(image).includes(ids[49]!));
    await conn.close();
  });

  it('that cannot be written fail with a coded error and leave no temporary file', async () => {
    const conn = await open({ storage: storage.memory(), schema: schemas.market });
    const dir = tempDir();
    // A directory where the checkpoint should go: the rename over it fails after the write.
    const path = join(dir, 'checkpoint');
    mkdirSync(join(path, 'occupied'), { recursive: true });
    await assert.rejects(
      writeCheckpoint(path, conn.view.datomStore.image(), 1),
      (error: unknown) =>
        error instanceof GswarmError && error.code === 'GSW_ERR_STORE_FAILED' && error.message.includes(path),
    );
    assert.equal(existsSync(`${path}.tmp`), false, 'no temporary file is left');
    assert.deepEqual(readdirSync(dir), ['checkpoint']);
    await conn.close();
  });
});

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
