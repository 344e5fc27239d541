/**
 * Checkpoint files round-trip a store image, a reopen after close loads one, and one written in
 * the background is the state it was taken at, whatever later txs change meanwhile.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { unpack } from 'msgpackr';
import { BitColumn } from '../../src/db/bit-column.js';
import type { StoreImage } from '../../src/db/datoms.js';
import { EntityColumn } from '../../src/db/entity-column.js';
import type { PostingsImage } from '../../src/db/postings.js';
import { ValueColumn } from '../../src/db/value-column.js';
import { open, schemas, storage } from '../../src/index.js';
import { readCheckpoint, writeCheckpoint } from '../../src/store/checkpoint.js';
import { assertSameImage, stringsOf, temporaryDirs } from './support.js';

const tempDir = temporaryDirs('ckpt');

test('a written checkpoint reads back as the same image, empty sections included', async () => {
  const dir = tempDir();
  const conn = await open({ storage: storage.memory(), schema: schemas.market });
  await conn.transact([{ 'market/id': 'm', 'market/name': 'M' }]);
  const image = conn.view.datomStore.image();
  assert.ok(
    image.avet.some((p) => p !== null && p.lists.length === 0),
    'the image has an empty section (the case that once broke the checksum)',
  );
  await writeCheckpoint(join(dir, 'checkpoint'), image, 7);
  const read = await readCheckpoint(join(dir, 'checkpoint'));
  assert.equal(read?.logPosition, 7);
  for (const [name, column] of Object.entries(image.columns)) {
    assert.deepEqual(read!.image.columns[name as keyof typeof image.columns], column, name);
  }
  assert.deepEqual(stringsOf(read!.image), stringsOf(image));
  await conn.close();
});

test('the values read are views of the raw sections alone: the packed bytes are not kept alive', async () => {
  const dir = tempDir();
  const conn = await open({ storage: storage.memory(), schema: schemas.market });
  await conn.transact([{ 'db/id': 'm', 'market/id': 'm' }]);
  const ticks = Array.from({ length: 2000 }, (_, i) => ({
    'tick/id': `t${i}`,
    'tick/market': ['market/id', 'm'],
    'tick/price': i / 7,
    'tick/ts': i,
  }));
  await conn.transact(ticks);
  const path = join(dir, 'checkpoint');
  await writeCheckpoint(path, conn.view.datomStore.image(), 1);
  const file = readFileSync(path);
  // Magic (8 bytes), header length, header CRC-32, body CRC-32, then the header.
  const header = unpack(file.subarray(20, 20 + file.readUInt32LE(8))) as {
    sections: { name: string; offset: number; packing?: string }[];
  };
  const packed = header.sections.filter((s) => s.packing !== undefined);
  const raw = header.sections.filter((s) => s.packing === undefined);
  assert.ok(
    packed.length > 0 &&
      raw.some((s) => s.name === 'values.wide') &&
      raw.some((s) => s.name === 'values.small'),
    'values raw, other sections packed',
  );
  const firstRaw = Math.min(...raw.map((s) => s.offset));
  assert.ok(Math.max(...packed.map((s) => s.offset)) < firstRaw, 'the packed sections come first');
  const bodyStart = Math.ceil((20 + file.readUInt32LE(8)) / 8) * 8;
  const values = (await readCheckpoint(path))!.image.values.wide;
  assert.equal(values.buffer.byteLength, file.length - bodyStart - firstRaw);
  await conn.close();
});

test('a checkpoint of the older layout (entities as uint32s, flags as bytes, float64 values) loads the same store', async () => {
  const dir = tempDir();
  const conn = await open({ storage: storage.memory(), schema: schemas.market });
  await conn.transact([{ 'db/id': 'm', 'market/id': 'm' }]);
  await conn.transact(
    Array.from({ length: 300 }, (_, i) => ({
      'tick/id': `t${i}`,
      'tick/market': ['market/id', 'm'],
      'tick/price': i / 8,
    })),
  );
  // Renamed twice: the second retracts the first name, so not every datom asserts.
  await conn.transact([{ 'market/id': 'm', 'market/name': 'first' }]);
  await conn.transact([{ 'market/id': 'm', 'market/name': 'second' }]);
  const store = conn.view.datomStore;
  const image = store.image();
  const e = Uint32Array.from({ length: store.datomCount }, (_, p) => store.entities.at(p));
  const added = Uint8Array.from({ length: store.datomCount }, (_, p) => (store.added.has(p) ? 1 : 0));
  assert.ok(added.includes(0), 'a retraction is among the datoms');
  const v = Float64Array.from({ length: store.datomCount }, (_, p) => store.v.at(p));
  assert.ok(v.some((x) => !Number.isInteger(x)) && v.some(Number.isInteger), 'wide and small values both');
  // The older layout: `col.e`, `col.added` and `col.v` sections. The present ones are written empty, and
  // would fail if they were read.
  const older = {
    ...image,
    columns: { ...image.columns, e, added, v },
    entities: new EntityColumn().image(),
    values: new ValueColumn().image(),
    added: new BitColumn().image(),
  };
  await writeCheckpoint(join(dir, 'checkpoint'), older, 3);
  assertSameImage((await readCheckpoint(join(dir, 'checkpoint')))!.image, image);
  await conn.close();
});

test('close writes a checkpoint that the next open loads instead of replaying the log', async () => {
  const dir = tempDir();
  const conn = await open({ storage: storage.persistent(dir), schema: schemas.market });
  await conn.transact([{ 'market/id': 'm' }]);
  await conn.close();
  const checkpoint = await readCheckpoint(join(dir, 'checkpoint'));
  assert.ok(checkpoint, 'the checkpoint is readable');
  assert.equal(checkpoint.logPosition, 2, 'it covers both txs of the log (schema, market)');
});

function copyOfPostings(p: PostingsImage): PostingsImage {
  return { keys: p.keys?.slice() ?? null, entries: p.entries.slice(), lists: p.lists.map((l) => l.slice()) };
}

/** A deep copy of `image`, sharing no memory with the store it came from. */
function copyOf(image: StoreImage): StoreImage {
  const strings = Buffer.concat([...image.strings.chunks()]);
  return {
    ...image,
    columns: Object.fromEntries(
      Object.entries(image.columns).map(([name, column]) => [name, column.slice()]),
    ) as StoreImage['columns'],
    byAttr: image.byAttr.map((list) => ({
      bases: list.bases.slice(),
      steps: list.steps.slice(),
      far: copyOfPostings(list.far),
    })),
    values: {
      ...image.values,
      small: image.values.small.slice(),
      wide: image.values.wide.slice(),
      words: image.values.words.slice(),
    },
    links: { steps: image.links.steps.slice(), far: copyOfPostings(image.links.far) },
    retractions: { marked: image.retractions.marked.slice(), ends: copyOfPostings(image.retractions.ends) },
    avet: image.avet.map((p) => p && copyOfPostings(p)),
    counts: image.counts.map((t) => ({ txIndex: t.txIndex.slice(), count: t.count.slice() })),
    strings: { ...image.strings, chunks: () => [strings], table: image.strings.table.slice() },
  };
}

test('a checkpoint written while later txs retract, update and intern is the state it was taken at', async () => {
  const dir = tempDir();
  const conn = await open({ storage: storage.persistent(dir), schema: schemas.market });
  const markets = Array.from({ length: 200 }, (_, i) => ({
    'market/id': `m${i}`,
    'market/name': `first ${i}`,
  }));
  await conn.transact(markets);
  const expected = copyOf(conn.view.datomStore.image());
  const position = conn.position;
  const written = conn.checkpoint();
  // Before the write gets far: new names retract the old ones (retractedAt and each entity's
  // latest position change in place), and new strings and values fill the hash tables.
  const later = conn.transact(markets.map((m, i) => ({ ...m, 'market/name': `second ${i}` })));
  await written;
  await later;
  const read = await readCheckpoint(join(dir, 'checkpoint'));
  assert.equal(read?.logPosition, position);
  assertSameImage(read!.image, expected);
  await conn.close();
});
