/**
 * Storage faults: a second opener of a directory is refused naming the holder; an invariant
 * broken while applying a tx, or a log write that fails, fails the connection cleanly (every
 * later write refused, fault listeners told, no unhandled rejection); a checkpoint that cannot be
 * written is reported and never thrown; a damaged log is named by file and record, never mapped
 * past its end; a long replay and a clean shutdown write a checkpoint.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InvariantError } from '../../src/db/assert.js';
import { Db } from '../../src/db/db.js';
import { schemaTxData } from '../../src/db/schema.js';
import { GswarmError } from '../../src/errors.js';
import { checkLmdbFile } from '../../src/log/lmdb-check.js';
import { LmdbLog } from '../../src/log/lmdb-log.js';
import type { TxLog } from '../../src/log/log.js';
import { MemoryLog } from '../../src/log/memory-log.js';
import { marketSchema } from '../../src/market/schema.js';
import { Connection, type Fault, open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';
import { temporaryDirs } from './support.js';

const tempDir = temporaryDirs('faults');

const coded =
  (code: string, extra: (error: GswarmError) => boolean = () => true) =>
  (error: unknown) =>
    error instanceof GswarmError && error.code === code && extra(error);

/** Collects unhandled rejections while `body` runs and a few turns after. */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const record = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', record);
  try {
    await body();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', record);
  }
  return seen;
}

async function withMarkets(dir: string, count: number): Promise<void> {
  const conn = await open({ storage: storage.persistent(dir), schema: marketSchema });
  for (let i = 0; i < count; i++) await conn.transact([{ 'market/id': `m${i}`, 'market/name': `n${i}` }]);
  await conn.close();
}

describe('the data directory lock', () => {
  it('refuses a second open in this process, naming the pid, until the first closes', async () => {
    const dir = tempDir();
    const first = await open({ storage: storage.persistent(dir) });
    await assert.rejects(
      open({ storage: storage.persistent(dir) }),
      coded('GSW_ERR_LOCKED', (e) => e.data.pid === process.pid && e.message.includes(String(process.pid))),
    );
    assert.ok(first.accepting, 'the refused open left the first connection alone');
    await first.close();
    const second = await open({ storage: storage.persistent(dir) });
    await second.close();
  });

  it("refuses a directory whose lock names another live process, and takes over a dead one's", async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    // The test runner that started this process is alive and is not this process.
    writeFileSync(join(dir, 'lock'), `${process.ppid}\n`);
    await assert.rejects(
      open({ storage: storage.persistent(dir) }),
      coded(
        'GSW_ERR_LOCKED',
        (e) => e.data.pid === process.ppid && e.message.includes(`process ${process.ppid}`),
      ),
    );
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(join(dir, 'lock'), `${dead}\n`);
    const conn = await open({ storage: storage.persistent(dir) });
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8').trim(), String(process.pid));
    await conn.close();
    assert.equal(existsSync(join(dir, 'lock')), false, 'close releases the lock');
  });

  it('is released when open fails', async () => {
    const dir = tempDir();
    await withMarkets(dir, 1);
    truncateSync(join(dir, 'log.mdb'), 4096);
    await assert.rejects(open({ storage: storage.persistent(dir) }), coded('GSW_ERR_LOG_CORRUPT'));
    assert.equal(existsSync(join(dir, 'lock')), false);
  });
});

describe('an invariant broken while applying a tx', () => {
  it('fails the connection: the tx and every later write are refused, and a reopen recovers', async () => {
    const dir = tempDir();
    const conn = await open({ storage: storage.persistent(dir), schema: marketSchema });
    await conn.transact([{ 'market/id': 'kept' }]);
    const faults: Fault[] = [];
    conn.onFault((fault) => faults.push(fault));
    // Inject a failure at the second datom of the next tx: the store is left half-written.
    const store = (conn as unknown as { db: Db }).db.store;
    const append = store.append.bind(store);
    let calls = 0;
    store.append = (...args) => {
      if (++calls === 2) throw new InvariantError('invariant broken: injected');
      append(...args);
    };
    await assert.rejects(
      conn.transact([{ 'market/id': 'broken', 'market/name': 'b' }]),
      coded('GSW_ERR_INVARIANT', (e) => /injected/.test(e.message) && e.status === 500),
    );
    store.append = append;
    assert.equal(conn.accepting, false);
    await assert.rejects(conn.transact([{ 'market/id': 'later' }]), coded('GSW_ERR_INVARIANT'));
    assert.deepEqual(
      faults.map((f) => [f.kind, f.error.code]),
      [['failed', 'GSW_ERR_INVARIANT']],
    );
    assert.equal(conn.count('market/id'), 1, 'reads still answer from the durable view');
    await conn.close();
    const reopened = await open({ storage: storage.persistent(dir) });
    assert.deepEqual(
      reopened.view.datoms('aevt', 'market/id').map((d) => d.v),
      ['kept'],
    );
    assert.ok(reopened.accepting);
    await reopened.close();
  });
});

/** A log whose appends fail on demand, as a full disk would make them. */
class FailingLog extends MemoryLog implements TxLog {
  failing = false;
  override async append(records: readonly Uint8Array[], options: { expectedLast: number }): Promise<number> {
    if (this.failing)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return super.append(records, options);
  }
}

describe('a log write that fails (a full disk)', () => {
  it('fails the connection cleanly: queued and later writes refused, listeners told', async () => {
    const log = new FailingLog();
    const conn = new Connection(new Db(), log, 0, { storage: storage.memory() }, undefined);
    await conn.transact(schemaTxData(marketSchema));
    const faults: Fault[] = [];
    conn.onFault((fault) => faults.push(fault));
    log.failing = true;
    const unhandled = await unhandledDuring(async () => {
      const results = await Promise.allSettled([
        conn.transact([{ 'market/id': 'a' }]),
        conn.transact([{ 'market/id': 'b' }]),
      ]);
      for (const result of results) {
        assert.equal(result.status, 'rejected');
        assert.ok(coded('GSW_ERR_STORE_FAILED', (e) => /ENOSPC/.test(e.message))(result.reason));
      }
    });
    assert.deepEqual(unhandled, []);
    assert.equal(conn.accepting, false);
    await assert.rejects(conn.transact([{ 'market/id': 'c' }]), coded('GSW_ERR_STORE_FAILED'));
    assert.deepEqual(
      faults.map((f) => f.kind),
      ['failed'],
    );
    await conn.close();
  });

  it("on LMDB, reports the commit's cause and leaves no unhandled rejection", async () => {
    const log = new LmdbLog(join(tempDir(), 'log.mdb'));
    const db = (log as unknown as { db: { transaction: (...args: unknown[]) => Promise<boolean> } }).db;
    // What lmdb-js does when a commit fails: the write rejects, and `commitError` rejects too.
    db.transaction = () => {
      const commitError = Promise.reject(
        Object.assign(new Error('ENOSPC: No space left on device'), { code: 'ENOSPC' }),
      );
      return Promise.reject(
        Object.assign(new Error('Commit failed (see commitError for details)'), { commitError }),
      );
    };
    const unhandled = await unhandledDuring(async () => {
      await assert.rejects(
        log.append([Uint8Array.of(1)], { expectedLast: 0 }),
        coded('GSW_ERR_STORE_FAILED', (e) => /ENOSPC/.test(e.message)),
      );
    });
    assert.deepEqual(unhandled, []);
    await log.close();
  });
});

describe('a checkpoint that cannot be written', () => {
  it('is reported, never thrown: the connection keeps accepting and closes cleanly', async () => {
    const dir = tempDir();
    const conn = await open({ storage: storage.persistent(dir), schema: marketSchema, checkpointDatoms: 1 });
    const faults: Fault[] = [];
    conn.onFault((fault) => faults.push(fault));
    // A directory where the checkpoint goes: every checkpoint write fails.
    rmSync(join(dir, 'checkpoint'), { force: true });
    mkdirSync(join(dir, 'checkpoint', 'occupied'), { recursive: true });
    const unhandled = await unhandledDuring(async () => {
      await conn.transact([{ 'market/id': 'a' }]);
      await conn.transact([{ 'market/id': 'b' }]);
      assert.ok(conn.accepting);
      await conn.close();
    });
    assert.deepEqual(unhandled, []);
    assert.ok(faults.length >= 2, 'the automatic checkpoints and the one at close were reported');
    assert.ok(faults.every((f) => f.kind === 'checkpoint-failed' && f.error.code === 'GSW_ERR_STORE_FAILED'));
    assert.ok(conn.checkpointError?.message.includes(join(dir, 'checkpoint')));
    assert.ok(!readdirSync(dir).includes('checkpoint.tmp'), 'no temporary file is left');
    rmSync(join(dir, 'checkpoint'), { recursive: true });
    const reopened = await open({ storage: storage.persistent(dir) });
    assert.equal(reopened.count('market/id'), 2, 'the log held everything');
    await reopened.close();
  });
});

describe('checkpoints after recovery', () => {
  it('a long replay at open writes one at once', async () => {
    const dir = tempDir();
    await withMarkets(dir, 5);
    rmSync(join(dir, 'checkpoint'));
    const conn = await open({ storage: storage.persistent(dir), replayCheckpointDatoms: 5 });
    assert.ok(existsSync(join(dir, 'checkpoint')), 'written at open, before any write');
    await conn.close();
  });

  it('a short replay does not, but a clean shutdown after it does', async () => {
    const dir = tempDir();
    await withMarkets(dir, 5);
    rmSync(join(dir, 'checkpoint'));
    const conn = await open({ storage: storage.persistent(dir), replayCheckpointDatoms: 1e9 });
    assert.equal(existsSync(join(dir, 'checkpoint')), false);
    await conn.close();
    assert.ok(existsSync(join(dir, 'checkpoint')), 'close covers the replayed datoms');
  });
});

describe('a damaged log', () => {
  it('truncated, is refused before it is mapped, naming the file and sizes', async () => {
    const dir = tempDir();
    await withMarkets(dir, 30);
    const path = join(dir, 'log.mdb');
    const { fileBytes, usedBytes } = checkLmdbFile(path);
    assert.ok(usedBytes > 4096 * 2 && usedBytes <= fileBytes);
    truncateSync(path, usedBytes - 4096);
    await assert.rejects(
      open({ storage: storage.persistent(dir) }),
      coded('GSW_ERR_LOG_CORRUPT', (e) => e.data.file === path && /truncated/.test(e.message)),
    );
  });

  it('without a valid meta page, is refused', () => {
    const path = join(tempDir(), 'log.mdb');
    writeFileSync(path, Buffer.alloc(8192, 7));
    assert.throws(
      () => checkLmdbFile(path),
      coded('GSW_ERR_LOG_CORRUPT', (e) => /no valid LMDB meta page/.test(e.message)),
    );
  });

  it('with a record that cannot be decoded, is refused naming the file and the record', async () => {
    const dir = tempDir();
    await withMarkets(dir, 3);
    const path = join(dir, 'log.mdb');
    const log = new LmdbLog(path);
    const bad = (await log.last()) + 1;
    await log.append([Uint8Array.of(0x92, 0xc1, 0xff)], { expectedLast: bad - 1 });
    await log.close();
    await assert.rejects(
      open({ storage: storage.persistent(dir) }),
      coded(
        'GSW_ERR_LOG_CORRUPT',
        (e) => e.data.position === bad && e.message.includes(path) && e.message.includes(`entry ${bad}`),
      ),
    );
  });
});
