/**
 * A data directory written before the store's narrower layout (each datom's entity as a uint32,
 * its assertion flag as a byte, attribute slots as uint16s, a length before each string): the
 * fixture was written by that version (two markets, a reflex, 400 ticks, a market renamed, then
 * closed, so its checkpoint covers the whole log). Its checkpoint is read and converted rather
 * than refused, holds exactly what its log replays to, and the store goes on taking ticks.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatomStore } from '../../src/db/datoms.js';
import { Swarm } from '../../src/market/swarm.js';
import { readCheckpoint } from '../../src/store/checkpoint.js';
import { storage } from '../../src/store/storage.js';
import { assertSameImage, rebuildFromLog, temporaryDirs } from './support.js';

const fixture = join(import.meta.dirname, 'fixtures', 'earlier-layout');
const tempDir = temporaryDirs('earlier');

test('a data directory of the earlier layout opens from its checkpoint, converted, and goes on', async () => {
  const dir = tempDir();
  cpSync(fixture, dir, { recursive: true });
  const checkpoint = await readCheckpoint(join(dir, 'checkpoint'));
  assert.ok(checkpoint !== undefined, 'the checkpoint is read, not refused');
  const loaded = DatomStore.fromImage(checkpoint.image);
  assert.ok(loaded.a.data instanceof Uint8Array, 'its attribute slots are narrowed');
  assertSameImage(loaded.image(), (await rebuildFromLog(dir)).db.store.image());

  let swarm = await Swarm.open({ storage: storage.persistent(dir) });
  assert.equal(swarm.count('tick/id').count, 400);
  assert.deepEqual(
    swarm.ticks('BTC', { limit: 2 }).map((t) => t.id),
    ['t1', 't3'],
  );
  const ts = 1_700_000_000_000 + 400_000;
  const more = Array.from({ length: 10 }, (_, i) => ({
    id: `n${i}`,
    market: 'ETH',
    price: 99,
    volume: 1,
    ts: ts + i,
  }));
  const result = await swarm.ingest({
    ticks: [...more, { id: 't0', market: 'ETH', price: 100, volume: 1, ts: 1_700_000_000_000 }],
  });
  assert.equal(result.duplicates, 1, 'a tick stored before the upgrade is still known');
  await swarm.close();
  swarm = await Swarm.open({ storage: storage.persistent(dir) });
  try {
    assert.equal(swarm.count('tick/id').count, 410);
    assert.equal(swarm.count('tick/id', result.tx - 1).count, 400);
  } finally {
    await swarm.close();
  }
});
