/**
 * `gswarm verify` reports the first damage in a data directory and the recovery that keeps
 * everything before it; `gswarm recover --truncate-after N` applies it, after which the store
 * opens with every record up to N.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  openSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { truncateLog } from '../../src/cli/recover.js';
import { verifyStore } from '../../src/cli/verify.js';
import { GswarmError } from '../../src/errors.js';
import { LmdbLog } from '../../src/log/lmdb-log.js';
import { marketSchema } from '../../src/market/schema.js';
import { Swarm } from '../../src/market/swarm.js';
import { open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';
import { gswarm } from '../cli/gswarm-process.js';
import { temporaryDirs } from './support.js';

const tempDir = temporaryDirs('verify');

/** A store of the schema tx and `count` market txs: records 1 to count + 1. */
async function storeWith(count: number): Promise<string> {
  const dir = tempDir();
  const conn = await open({ storage: storage.persistent(dir), schema: marketSchema });
  for (let i = 0; i < count; i++) await conn.transact([{ 'market/id': `m${i}` }]);
  await conn.close();
  return dir;
}

/** Appends entries of garbage after the log's end; returns the position of the first. */
async function appendGarbage(dir: string, count: number): Promise<number> {
  const log = new LmdbLog(join(dir, 'log.mdb'));
  const last = await log.last();
  const garbage = Array.from({ length: count }, () => [Uint8Array.of(0x92, 0xc1, 0xff)]);
  for (const [i, records] of garbage.entries()) await log.append(records, { expectedLast: last + i });
  await log.close();
  return last + 1;
}

describe('verify and recover', () => {
  it('a healthy store verifies ok', async () => {
    const dir = await storeWith(3);
    assert.deepEqual(await verifyStore(dir), { ok: true, records: 4, checkpoint: 'ok' });
  });

  it('a store whose log retention trimmed verifies from its checkpoint; without the checkpoint it is damage', async () => {
    const dir = tempDir();
    const swarm = await Swarm.open({ storage: storage.persistent(dir) });
    await swarm.ingest({ markets: [{ id: 'A' }] });
    for (let b = 0; b < 6; b++) {
      const ticks = Array.from({ length: 50 }, (_, i) => ({
        id: `t${b}-${i}`,
        market: 'A',
        price: 1,
        volume: 1,
        ts: b * 50 + i,
      }));
      await swarm.ingest({ ticks });
    }
    assert.ok((await swarm.pruneWindow({ retainTicks: 100 }, Date.now())) > 0);
    await swarm.close();
    const log = new LmdbLog(join(dir, 'log.mdb'));
    const [first, last] = [await log.first(), await log.last()];
    await log.close();
    assert.ok(first > 1, 'the log was trimmed');
    assert.deepEqual(await verifyStore(dir), { ok: true, records: last, checkpoint: 'ok' });
    rmSync(join(dir, 'checkpoint'));
    const report = await verifyStore(dir);
    assert.equal(report.ok, false);
    assert.match(
      report.damage!.message,
      new RegExp(`retention dropped log entries 1 to ${first - 1}, and there is no checkpoint`),
    );
  });

  it('a damaged record is named, and truncating before it restores a store that opens', async () => {
    const dir = await storeWith(3);
    const bad = await appendGarbage(dir, 2);
    const report = await verifyStore(dir);
    assert.equal(report.ok, false);
    assert.equal(report.records, bad - 1);
    assert.equal(report.damage?.position, bad);
    assert.match(report.damage!.message, new RegExp(`log .*log\\.mdb is damaged at entry ${bad}`));
    assert.equal(report.damage?.recover, `gswarm recover --data ${dir} --truncate-after ${bad - 1}`);

    assert.deepEqual(await truncateLog(dir, bad - 1), {
      droppedRecords: 2,
      lastPosition: bad - 1,
      checkpointRemoved: false,
    });
    assert.equal((await verifyStore(dir)).ok, true);
    const conn = await open({ storage: storage.persistent(dir) });
    assert.equal(conn.count('market/id'), 3);
    await conn.close();
  });

  it('random bytes in a page: the records before it are kept, into a fresh log file', async () => {
    const dir = tempDir();
    const conn = await open({ storage: storage.persistent(dir), schema: marketSchema });
    // Names zstd cannot shrink much, so the log spans many pages.
    const name = (i: number) => createHash('sha512').update(String(i)).digest('base64');
    for (let i = 0; i < 300; i++) await conn.transact([{ 'market/id': `m${i}`, 'market/name': name(i) }]);
    await conn.close();
    // Garbage over a leaf page near the end: LMDB's iteration stops there without an error.
    const fd = openSync(join(dir, 'log.mdb'), 'r+');
    const page = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 5) % 251));
    writeSync(fd, page, 0, page.length, fstatSync(fd).size - 5 * 4096);
    closeSync(fd);
    const report = await verifyStore(dir);
    assert.equal(report.ok, false);
    assert.match(report.damage!.message, /cannot be read, though the log ends at entry 301/);
    const kept = report.records;
    assert.ok(kept > 1 && kept < 301);
    const recovered = await truncateLog(dir, kept);
    assert.deepEqual(recovered, { droppedRecords: 301 - kept, lastPosition: kept, checkpointRemoved: true });
    assert.ok(existsSync(join(dir, 'log.mdb.damaged')), 'the damaged file is kept aside');
    assert.deepEqual(await verifyStore(dir), { ok: true, records: kept, checkpoint: 'none' });
    const reopened = await open({ storage: storage.persistent(dir) });
    assert.equal(reopened.count('market/id'), kept - 1);
    await reopened.transact([{ 'market/id': 'after' }]);
    await reopened.close();
  });

  it('a checkpoint past the end of the log is damage: open refuses it, recover removes it', async () => {
    const dir = await storeWith(3);
    copyFileSync(join(dir, 'checkpoint'), join(dir, 'checkpoint.saved'));
    assert.equal((await truncateLog(dir, 2)).checkpointRemoved, true);
    copyFileSync(join(dir, 'checkpoint.saved'), join(dir, 'checkpoint'));
    const report = await verifyStore(dir);
    assert.equal(report.ok, false);
    assert.equal(report.checkpoint, 'past the end of the log');
    await assert.rejects(
      open({ storage: storage.persistent(dir) }),
      (error: unknown) =>
        error instanceof GswarmError &&
        error.code === 'GSW_ERR_LOG_CORRUPT' &&
        /entries were lost/.test(error.message),
    );
    await truncateLog(dir, 2);
    const conn = await open({ storage: storage.persistent(dir) });
    assert.equal(conn.count('market/id'), 1);
    await conn.close();
  });

  it('a truncated file is reported, and recover refuses to touch it', async () => {
    const dir = await storeWith(30);
    truncateSync(join(dir, 'log.mdb'), 8192);
    const report = await verifyStore(dir);
    assert.equal(report.ok, false);
    assert.match(report.damage!.message, /truncated/);
    await assert.rejects(truncateLog(dir, 1), { code: 'GSW_ERR_LOG_CORRUPT' });
  });

  it('recover refuses a directory a connection holds', async () => {
    const dir = await storeWith(1);
    const conn = await open({ storage: storage.persistent(dir) });
    await assert.rejects(truncateLog(dir, 1), { code: 'GSW_ERR_LOCKED' });
    await conn.close();
  });

  it('the commands: verify exits 1 naming the damage, recover repairs, verify then exits 0', async () => {
    const dir = await storeWith(2);
    const bad = await appendGarbage(dir, 1);
    await assert.rejects(gswarm(['verify', '--data', dir]), (error: unknown) => {
      const { code, stdout } = error as { code: number; stdout: string };
      assert.equal(code, 1);
      assert.match(stdout, new RegExp(`damaged at entry ${bad}`));
      assert.match(stdout, new RegExp(`--truncate-after ${bad - 1}`));
      return true;
    });
    const recovered = await gswarm(['recover', '--data', dir, '--truncate-after', String(bad - 1)]);
    assert.match(recovered.stdout, new RegExp(`dropped 1 entry; the log ends at entry ${bad - 1}`));
    const verified = await gswarm(['verify', '--data', dir]);
    assert.match(verified.stdout, /\nok\n$/);
  });
});
