/**
 * Persistence: the checkpoint path and the log-only path recover the same database; a corrupt
 * checkpoint is ignored and the log replayed; a second writer is fenced; a closed connection
 * refuses writes; concurrent transacts share one log write.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { unpack } from 'msgpackr';
import { DatomColumns } from '../../src/db/datom-columns.js';
import { GswarmError } from '../../src/errors.js';
import { LmdbLog } from '../../src/log/lmdb-log.js';
import { encodeLogRecord } from '../../src/log/log-record.js';
import { marketSchema } from '../../src/market/schema.js';
import { Swarm } from '../../src/market/swarm.js';
import { type Connection, open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';
import { assertSameImage, entriesOf, rebuildFromLog, seeded, temporaryDirs, Workload } from './support.js';

const root = join(import.meta.dirname, '..', '..');
const child = join(import.meta.dirname, 'crash-child.ts');
const tempDir = temporaryDirs('persist');

const noCheckpoint = 1e12;
const steps = 240;
const workloadSeed = 7;

/** What a user can ask of a database: every index, history, and every tx's as-of answers. */
function answers(conn: Connection) {
  const view = conn.view;
  const store = view.datomStore;
  const txs = Array.from(store.txIds.view());
  const userAttributes = view
    .attributes()
    .filter((a) => !a.ident.startsWith('db/'))
    .map((a) => a.ident);
  return {
    basisTx: view.basisTx,
    txs: txs.map((tx) => [tx, view.txInstant(tx)]),
    eavt: view.datoms('eavt'),
    aevt: view.datoms('aevt'),
    avet: view.datoms('avet', 'tick/id'),
    history: view.history().datoms('eavt'),
    counts: txs.map((tx) => userAttributes.map((a) => conn.asOf(tx).count(a))),
    asOf: txs.filter((_, i) => i % 17 === 0).map((tx) => conn.asOf(tx).datoms('eavt')),
    since: txs.filter((_, i) => i % 29 === 0).map((tx) => conn.since(tx).datoms('aevt')),
    pulls: view
      .datoms('aevt', 'market/id')
      .map((d) => conn.pull(d.e, ['*', { 'tick/_market': ['tick/id'] }])),
  };
}

/** The market-level answers of a Swarm on `dir`. */
async function swarmAnswers(dir: string) {
  const swarm = await Swarm.open({ storage: storage.persistent(dir) });
  try {
    const txs = Array.from(swarm.conn.view.datomStore.txIds.view());
    return {
      latest: swarm.latest(),
      latestAsOf: txs.filter((_, i) => i % 13 === 0).map((tx) => swarm.latest({ asOf: tx })),
      alerts: swarm.alerts().map(({ durableAtMs: _, ...alert }) => alert),
      reflexes: swarm.reflexes(),
    };
  } finally {
    await swarm.close();
  }
}

function fixedClock() {
  let ms = 1_700_000_000_000;
  return { nowMs: () => (ms += 1) };
}

/** The deterministic workload of crash-child.ts's script mode, in this process, then close. */
async function scriptHere(dir: string): Promise<void> {
  const swarm = await Swarm.open({
    storage: storage.persistent(dir),
    checkpointDatoms: noCheckpoint,
    clock: fixedClock(),
  });
  try {
    const workload = new Workload(swarm, seeded(workloadSeed), String(workloadSeed), {
      applied: () => {},
      acknowledged: () => {},
    });
    for (let done = 0; done < steps; done += 8) {
      const wave: Promise<void>[] = [];
      for (let i = done; i < Math.min(steps, done + 8); i++) wave.push(workload.step());
      await Promise.all(wave);
    }
  } finally {
    await swarm.close();
  }
}

/** The same workload in a child that kills itself with SIGKILL once everything is acknowledged. */
async function scriptInCrashingChild(dir: string): Promise<void> {
  const process = spawn(
    globalThis.process.execPath,
    ['--import', 'tsx', child, dir, String(workloadSeed), String(noCheckpoint), 'script', String(steps)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  process.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  process.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const signal = await new Promise((resolve) => process.on('close', (_code, signal) => resolve(signal)));
  assert.equal(signal, 'SIGKILL', stderr);
  assert.match(stdout, /\nDONE\n$/);
}

async function reopen(dir: string) {
  const conn = await open({ storage: storage.persistent(dir) });
  try {
    return { answers: answers(conn), image: conn.view.datomStore.image() };
  } finally {
    await conn.close();
  }
}

describe('reopening', () => {
  let closed: string;
  let crashed: string;
  before(async () => {
    closed = tempDir();
    crashed = tempDir();
    await Promise.all([scriptHere(closed), scriptInCrashingChild(crashed)]);
  });

  it('after close (checkpoint) and after a crash (log only) gives identical answers', async () => {
    assert.ok(existsSync(join(closed, 'checkpoint')), 'close wrote a checkpoint');
    assert.ok(!existsSync(join(crashed, 'checkpoint')), 'the crashed store has no checkpoint');
    const fromCheckpoint = await reopen(closed);
    const fromLog = await reopen(crashed);
    assert.ok(fromCheckpoint.answers.txs.length > steps / 2, 'the workload wrote txs');
    assert.ok(
      fromCheckpoint.answers.eavt.some((d) => d.a === 'alert/tx'),
      'the workload fired alerts',
    );
    assert.deepEqual(fromCheckpoint.answers, fromLog.answers);
    assertSameImage(fromCheckpoint.image, fromLog.image);
    assertSameImage(fromCheckpoint.image, (await rebuildFromLog(closed)).db.store.image());
    assert.deepEqual(await swarmAnswers(closed), await swarmAnswers(crashed));
  });

  it('reopening twice from the checkpoint, and writing after a reopen, stay consistent', async () => {
    const dir = tempDir();
    cpSync(closed, dir, { recursive: true });
    const first = await reopen(dir);
    const second = await reopen(dir);
    assert.deepEqual(second.answers, first.answers);
    const conn = await open({ storage: storage.persistent(dir) });
    const { tx } = await conn.transact([{ 'market/id': 'after-reopen', 'market/name': 'x' }]);
    await conn.close();
    const third = await reopen(dir);
    assert.equal(third.answers.basisTx, tx);
    assert.deepEqual(
      third.answers.eavt.filter((d) => d.tx !== tx),
      first.answers.eavt,
    );
    assertSameImage(third.image, (await rebuildFromLog(dir)).db.store.image());
  });

  describe('a corrupt checkpoint is ignored and the log replayed', () => {
    /** Byte offset and length of section `name` in a checkpoint file. */
    function section(file: Buffer, name: string): { offset: number; bytes: number } {
      // Magic (8 bytes), header length, header CRC-32, body CRC-32, then the header.
      const headerLength = file.readUInt32LE(8);
      const header = unpack(file.subarray(20, 20 + headerLength)) as {
        sections: { name: string; kind: string; offset: number; length: number }[];
      };
      const start = Math.ceil((20 + headerLength) / 8) * 8;
      const s = header.sections.find((x) => x.name === name)!;
      assert.ok(s, `checkpoint has section ${name}`);
      const size = { u8: 1, u16: 2, u32: 4, f64: 8 }[s.kind]!;
      return { offset: start + s.offset, bytes: s.length * size };
    }

    const corruptions: [string, (file: Buffer) => Buffer][] = [
      ['an empty file', () => Buffer.alloc(0)],
      ['a wrong magic', (file) => Buffer.concat([Buffer.from('NOTACKPT'), file.subarray(8)])],
      ['a truncated file', (file) => file.subarray(0, Math.floor(file.length / 2))],
      [
        'a garbled header',
        (file) => {
          const copy = Buffer.from(file);
          copy.fill(0xff, 12, 40);
          return copy;
        },
      ],
      [
        'random bytes',
        (file) => Buffer.from(Array.from({ length: file.length }, (_, i) => (i * 7919) % 251)),
      ],
      [
        'a header length past the end',
        (file) => {
          const copy = Buffer.from(file);
          copy.writeUInt32LE(0x7fffffff, 8);
          return copy;
        },
      ],
    ];
    for (const [what, corrupt] of corruptions) {
      it(`${what}`, async () => {
        const dir = tempDir();
        cpSync(closed, dir, { recursive: true });
        const path = join(dir, 'checkpoint');
        writeFileSync(path, corrupt(readFileSync(path)));
        const recovered = await reopen(dir);
        const expected = await reopen(crashed);
        assert.deepEqual(recovered.answers, expected.answers);
        assertSameImage(recovered.image, (await rebuildFromLog(dir)).db.store.image());
      });
    }

    it('a leftover checkpoint.tmp from a crash during a checkpoint write', async () => {
      const dir = tempDir();
      cpSync(closed, dir, { recursive: true });
      writeFileSync(join(dir, 'checkpoint.tmp'), Buffer.from('GSWCKPT2 half written'));
      const recovered = await reopen(dir);
      assert.deepEqual(recovered.answers, (await reopen(crashed)).answers);
    });

    it('a flipped byte inside a data section (caught by the body checksum)', async () => {
      const dir = tempDir();
      cpSync(closed, dir, { recursive: true });
      const path = join(dir, 'checkpoint');
      const file = readFileSync(path);
      // One float64 value of a datom changes: the file still decodes, the data is wrong.
      const { offset, bytes } = section(file, 'values.wide');
      const at = offset + Math.floor(bytes / 16) * 8 + 6;
      file[at] = file[at]! ^ 0x10;
      writeFileSync(path, file);
      assert.equal(statSync(path).size, file.length);
      let recovered: Awaited<ReturnType<typeof reopen>> | undefined;
      try {
        recovered = await reopen(dir);
      } catch (error) {
        assert.fail(`reopen with a corrupt checkpoint threw instead of replaying the log: ${error}`);
      }
      assertSameImage(recovered.image, (await rebuildFromLog(dir)).db.store.image());
      assert.deepEqual(recovered.answers, (await reopen(crashed)).answers);
    });
  });
});

describe('fencing', () => {
  it('of two appends with the same expectedLast exactly one succeeds, the other is fenced', async () => {
    const dir = tempDir();
    const path = join(dir, 'log.mdb');
    const first = new LmdbLog(path);
    const second = new LmdbLog(path);
    try {
      assert.equal(await first.append([Uint8Array.of(1)], { expectedLast: 0 }), 1);
      assert.equal(await first.append([Uint8Array.of(2)], { expectedLast: 1 }), 2);
      const outcomes = await Promise.allSettled([
        first.append([Uint8Array.of(10)], { expectedLast: 2 }),
        second.append([Uint8Array.of(20), Uint8Array.of(21)], { expectedLast: 2 }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal(won.length, 1, 'exactly one append succeeds');
      assert.equal(lost.length, 1);
      assert.ok(lost[0]!.reason instanceof GswarmError);
      assert.equal(lost[0]!.reason.code, 'GSW_ERR_FENCED');
      assert.match(lost[0]!.reason.message, /expected the log to end at 2/);
      const records = await entriesOf(first);
      const winner = outcomes[0]!.status === 'fulfilled' ? [[3, [[10]]]] : [[3, [[20], [21]]]];
      assert.deepEqual(records, [[1, [[1]]], [2, [[2]]], ...winner], 'only the winner is in the log');
      // A stale writer stays fenced.
      await assert.rejects(second.append([Uint8Array.of(30)], { expectedLast: 2 }), {
        code: 'GSW_ERR_FENCED',
      });
      await assert.rejects(first.append([Uint8Array.of(30)], { expectedLast: 1 }), {
        code: 'GSW_ERR_FENCED',
      });
      assert.equal((await entriesOf(first)).length, records.length, 'a fenced append writes nothing');
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('a connection whose log moved under it refuses to write, and a reopen has the other write', async () => {
    const dir = tempDir();
    const conn = await open({ storage: storage.persistent(dir), schema: marketSchema });
    const { tempids, tx } = await conn.transact([{ 'db/id': 'm', 'market/id': 'M' }]);
    const market = tempids.m!;
    const nameAttr = conn.view.attribute('market/name')!;
    // Another writer appends a valid record after the connection's last position.
    const other = new LmdbLog(join(dir, 'log.mdb'));
    const foreignTx = tx + 5;
    await other.append(
      [
        encodeLogRecord({
          kind: 'tx',
          tx: {
            tx: foreignTx,
            instantMs: 1,
            datoms: DatomColumns.of([[market, nameAttr.id, 'by the other writer', true]]),
          },
        }),
      ],
      { expectedLast: await other.last() },
    );
    await other.close();
    const basis = conn.basisTx;
    await assert.rejects(conn.transact([['db/add', market, 'market/name', 'mine']]), {
      code: 'GSW_ERR_FENCED',
    });
    assert.equal(conn.basisTx, basis, 'the fenced tx never became visible');
    assert.equal(conn.entity(market)?.['market/name'], undefined);
    await assert.rejects(conn.transact([{ 'market/id': 'N' }]), { code: 'GSW_ERR_FENCED' });
    await conn.close();
    const reopened = await open({ storage: storage.persistent(dir) });
    try {
      assert.equal(reopened.basisTx, foreignTx);
      assert.equal(reopened.entity(market)?.['market/name'], 'by the other writer');
      assert.equal(reopened.view.datoms('avet', 'market/id', 'N').length, 0);
    } finally {
      await reopened.close();
    }
  });
});

describe('closing', () => {
  it('transact after close rejects with GSW_ERR_CLOSED; txs queued before close are durable', async () => {
    const dir = tempDir();
    const conn = await open({ storage: storage.persistent(dir), schema: marketSchema });
    const queued = conn.transact([{ 'market/id': 'queued' }]);
    await conn.close();
    const report = await queued;
    for (const attempt of [
      () => conn.transact([{ 'market/id': 'late' }]),
      () => conn.transactWith(() => [{ 'market/id': 'late' }]),
      () => conn.transact([]),
    ]) {
      await assert.rejects(attempt(), (error: GswarmError) => {
        assert.equal(error.code, 'GSW_ERR_CLOSED');
        assert.equal(error.status, 503);
        assert.match(error.message, /closed/);
        return true;
      });
    }
    await conn.close();
    const reopened = await open({ storage: storage.persistent(dir) });
    try {
      assert.equal(reopened.basisTx, report.tx);
      assert.equal(reopened.view.datoms('avet', 'market/id', 'queued').length, 1);
      assert.equal(reopened.view.datoms('avet', 'market/id', 'late').length, 0);
    } finally {
      await reopened.close();
    }
  });

  it('a closed Swarm refuses ingest and reflex writes with GSW_ERR_CLOSED', async () => {
    const swarm = await Swarm.open({ storage: storage.persistent(tempDir()) });
    await swarm.ingest({ markets: [{ id: 'M' }] });
    await swarm.close();
    await assert.rejects(swarm.ingest({ ticks: [{ id: 't', market: 'M', price: 1, volume: 1, ts: 1 }] }), {
      code: 'GSW_ERR_CLOSED',
    });
    await assert.rejects(swarm.putReflex({ id: 'r', market: 'M', above: 1 }), { code: 'GSW_ERR_CLOSED' });
    await assert.rejects(swarm.deleteReflex('r'), { code: 'GSW_ERR_CLOSED' });
  });
});

describe('group commit', () => {
  it('20 transacts issued in one tick all resolve, in order, from one log write of 20 records', async (t) => {
    const dir = tempDir();
    const conn = await open({ storage: storage.persistent(dir), schema: marketSchema });
    await conn.transact([{ 'market/id': 'M' }]);
    const basis = conn.basisTx;
    const heard: number[] = [];
    conn.listen((report) => heard.push(report.tx));
    const logBefore = (await rebuildFromLog(dir)).txs.length;
    const append = t.mock.method(LmdbLog.prototype, 'append');
    const pending = Array.from({ length: 20 }, (_, i) =>
      conn.transact([{ 'market/id': `c${i}`, 'market/name': `concurrent ${i}` }]),
    );
    assert.equal(conn.basisTx, basis, 'nothing is visible before it is durable');
    const reports = await Promise.all(pending);
    append.mock.restore();
    for (let i = 1; i < reports.length; i++) {
      assert.ok(reports[i]!.tx > reports[i - 1]!.tx, 'tx ids increase strictly in issue order');
    }
    assert.ok(reports[0]!.tx > basis);
    assert.equal(conn.basisTx, reports[19]!.tx);
    assert.deepEqual(
      heard,
      reports.map((r) => r.tx),
      'listeners hear every tx once, in order',
    );
    for (const [i, report] of reports.entries()) {
      assert.deepEqual(
        report.datoms.map((d) => [d.a, d.v]),
        [
          ['market/id', `c${i}`],
          ['market/name', `concurrent ${i}`],
        ],
      );
      assert.notEqual(conn.view.txInstant(report.tx), undefined);
    }
    assert.equal(append.mock.callCount(), 1, 'one log write for the 20 txs');
    assert.equal((append.mock.calls[0]!.arguments[0] as Uint8Array[]).length, 20);
    await conn.close();
    const { txs } = await rebuildFromLog(dir);
    assert.equal(txs.length, logBefore + 20, 'the log grew by 20 records');
    assert.deepEqual(
      txs.slice(-20).map((x) => x.tx),
      reports.map((r) => r.tx),
    );
  });

  it('a tx that changes nothing takes no tx id and adds no record', async () => {
    const dir = tempDir();
    const conn = await open({ storage: storage.persistent(dir), schema: marketSchema });
    const { tx } = await conn.transact([{ 'market/id': 'M', 'market/name': 'n' }]);
    const again = await Promise.all([
      conn.transact([{ 'market/id': 'M', 'market/name': 'n' }]),
      conn.transact([['db/retract', ['market/id', 'M'], 'market/name', 'other']]),
      conn.transact([]),
    ]);
    assert.deepEqual(
      again.map((r) => [r.tx, r.datoms.length]),
      [
        [tx, 0],
        [tx, 0],
        [tx, 0],
      ],
    );
    await conn.close();
    const { txs } = await rebuildFromLog(dir);
    assert.equal(txs[txs.length - 1]!.tx, tx);
    assert.equal(txs.length, 2, 'the schema tx and the one tx that changed something');
  });
});
