/**
 * The string table of a checkpoint is made and read chunk by chunk, never as one string: the
 * codec round-trips any strings at any chunk size, a chunk never exceeds its size unless one
 * string alone does, and a checkpoint written with tiny chunks loads the same strings.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../src/db/assert.js';
import { Interner } from '../../src/db/intern.js';
import { decodeStringTable, encodedStringBytes, encodeStringTable } from '../../src/db/string-table.js';
import { GswarmError } from '../../src/errors.js';
import { open, schemas, storage } from '../../src/index.js';
import { readCheckpoint, writeCheckpoint } from '../../src/store/checkpoint.js';
import { stringsOf, temporaryDirs } from './support.js';

const tempDir = temporaryDirs('strings');

const anyString = fc.string({ unit: 'grapheme', maxLength: 40 });

describe('the string table codec', () => {
  it('round-trips any strings at any chunk size, within the chunk size', () => {
    fc.assert(
      fc.property(
        fc.array(anyString, { maxLength: 60 }),
        fc.integer({ min: 1, max: 64 }),
        (strings, chunkBytesMax) => {
          const chunks = [...encodeStringTable(strings, strings.length, chunkBytesMax)];
          const total = chunks.reduce((n, c) => n + c.byteLength, 0);
          assert.equal(
            total,
            strings.reduce((n, s) => n + encodedStringBytes(s), 0),
          );
          for (const chunk of chunks) {
            // A chunk over the size holds exactly one string that does not fit any chunk.
            if (chunk.byteLength > chunkBytesMax) assert.equal(decodeStringTable([chunk], 1).length, 1);
          }
          assert.deepEqual(decodeStringTable(chunks, strings.length), strings);
          // Loading sees the table as one section: the same bytes, not split as written.
          assert.deepEqual(decodeStringTable([Buffer.concat(chunks)], strings.length), strings);
        },
      ),
    );
  });

  it("an interner's snapshot states its strings' encoded size, kept as strings come, also after a restore", () => {
    fc.assert(
      fc.property(
        fc.array(anyString, { maxLength: 60 }),
        fc.array(anyString, { maxLength: 30 }),
        (first, later) => {
          const sizeOf = (interner: Interner) => {
            const image = interner.snapshot();
            const encoded = [...image.chunks()].reduce((n, c) => n + c.byteLength, 0);
            assert.equal(image.byteLength, encoded);
            return image;
          };
          const interner = new Interner();
          for (const s of first) interner.intern(s);
          const restored = Interner.restore(sizeOf(interner));
          for (const s of later) restored.intern(s);
          sizeOf(restored);
        },
      ),
    );
  });

  it('encodes only the first `count` strings', () => {
    const chunks = [...encodeStringTable(['a', 'bb', 'ccc'], 2, 8)];
    assert.deepEqual(decodeStringTable(chunks, 2), ['a', 'bb']);
  });

  it('refuses a table that does not hold the strings it says', () => {
    const chunks = [...encodeStringTable(['a', 'bb'], 2, 64)];
    assert.throws(() => decodeStringTable(chunks, 3), InvariantError);
    assert.throws(() => decodeStringTable(chunks, 1), InvariantError);
    assert.throws(() => decodeStringTable([chunks[0]!.subarray(0, 6)], 2), InvariantError);
  });

  it('an interner restored from its snapshot finds every string by id and by value', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(anyString, { maxLength: 80 }),
        fc.integer({ min: 1, max: 32 }),
        (strings, size) => {
          const interner = new Interner();
          for (const s of strings) interner.intern(s);
          const snapshot = interner.snapshot();
          const chunks = [...snapshot.chunks(size)];
          const restored = Interner.restore({ ...snapshot, chunks: () => chunks });
          strings.forEach((s, id) => {
            assert.equal(restored.string(id), s);
            assert.equal(restored.lookup(s), id);
          });
        },
      ),
    );
  });
});

describe('checkpoint files', () => {
  it('written with tiny string chunks, load the same strings', async () => {
    const conn = await open({ storage: storage.memory(), schema: schemas.market });
    const ids = Array.from({ length: 50 }, (_, i) => `market-${'é'.repeat(i % 7)}-${i}`);
    await conn.transact(ids.map((id) => ({ 'market/id': id })));
    const image = conn.view.datomStore.image();
    const path = join(tempDir(), 'checkpoint');
    await writeCheckpoint(path, image, 3, { stringChunkBytesMax: 16 });
    const read = readCheckpoint(path);
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
