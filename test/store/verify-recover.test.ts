/**
 * `gswarm verify` reports the first damage in a data directory and the recovery that keeps
 * everything before it; `gswarm recover --truncate-after N` applies it, after which the store
 * opens with every record up to N.
 */
import assert from 'node:assert/strict';
import { copyFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { truncateLog } from '../../src/cli/recover.js';
import { verifyStore } from '../../src/cli/verify.js';
import { GswarmError } from '../../src/errors.js';
import { LmdbLog } from '../../src/log/lmdb-log.js';
import { marketSchema } from '../../src/market/schema.js';
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

/** Appends one entry of garbage records after the log's end; returns its position. */
async function appendGarbage(dir: string, count: number): Promise<number> {
  const log = new LmdbLog(join(dir, 'log.mdb'));
  const first = (await log.last()) + 1;
  const garbage = Array.from({ length: count }, () => Uint8Array.of(0x92, 0xc1, 0xff));
  await log.append(garbage, { expectedLast: first - 1 });
  await log.close();
  return first;
}

describe('verify and recover', () => {
  it('a healthy store verifies ok', async () => {
    const dir = await storeWith(3);
    assert.deepEqual(await verifyStore(dir), { ok: true, records: 4, checkpoint: 'ok' });
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
      removedRecords: 1,
      lastPosition: bad - 1,
      checkpointRemoved: false,
    });
    assert.equal((await verifyStore(dir)).ok, true);
    const conn = await open({ storage: storage.persistent(dir) });
    assert.equal(conn.count('market/id'), 3);
    await conn.close();
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
    assert.match(recovered.stdout, new RegExp(`removed 1 record\\(s\\); the log ends at record ${bad - 1}`));
    const verified = await gswarm(['verify', '--data', dir]);
    assert.match(verified.stdout, /\nok\n$/);
  });
});
