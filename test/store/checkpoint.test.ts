/** Checkpoint files round-trip a store image, and a reopen after close loads one. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { open, schemas, storage } from '../../src/index.js';
import { readCheckpoint, writeCheckpoint } from '../../src/store/checkpoint.js';
import { stringsOf } from './support.js';

test('a written checkpoint reads back as the same image, empty sections included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gswarm-ckpt-'));
  try {
    const conn = await open({ storage: storage.memory(), schema: schemas.market });
    await conn.transact([{ 'market/id': 'm', 'market/name': 'M' }]);
    const image = conn.view.datomStore.image();
    assert.ok(
      image.avet.some((p) => p !== null && p.lists.length === 0),
      'the image has an empty section (the case that once broke the checksum)',
    );
    writeCheckpoint(join(dir, 'checkpoint'), image, 7);
    const read = readCheckpoint(join(dir, 'checkpoint'));
    assert.equal(read?.logPosition, 7);
    for (const [name, column] of Object.entries(image.columns)) {
      assert.deepEqual(read!.image.columns[name as keyof typeof image.columns], column, name);
    }
    assert.deepEqual(stringsOf(read!.image), stringsOf(image));
    await conn.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close writes a checkpoint that the next open loads instead of replaying the log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gswarm-ckpt-'));
  try {
    const conn = await open({ storage: storage.persistent(dir), schema: schemas.market });
    await conn.transact([{ 'market/id': 'm' }]);
    await conn.close();
    const checkpoint = readCheckpoint(join(dir, 'checkpoint'));
    assert.ok(checkpoint, 'the checkpoint is readable');
    assert.equal(checkpoint.logPosition, 2, 'it covers both txs of the log (schema, market)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
