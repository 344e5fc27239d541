/**
 * A group commit is one log entry: a connection splits its queue into entries of at most the
 * log's entryBytesMax, in order, and refuses (before applying it) a tx too large for an entry
 * alone. Epoch records in a log are skipped on replay.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryBytes } from '../../src/log/entry-codec.js';
import type { LogEntry } from '../../src/log/log.js';
import { decodeLogRecord, encodeLogRecord } from '../../src/log/log-record.js';
import { MemoryLog } from '../../src/log/memory-log.js';
import { open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';
import { seeded } from '../store/support.js';

const schema = { 'note/text': { valueType: 'string' } } as const;
const entryBytesMax = 4096;

/** Printable text zstd cannot shrink much, so a tx's record takes about `length` bytes. */
function noise(length: number, seed: number): string {
  const random = seeded(seed);
  return Array.from({ length }, () => String.fromCharCode(33 + Math.floor(random() * 94))).join('');
}

async function entriesOf(log: MemoryLog): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const entry of log.read(0)) out.push(entry);
  return out;
}

const txsOf = (entries: LogEntry[]) =>
  entries.flatMap((entry) =>
    entry.records.map(decodeLogRecord).flatMap((record) => (record.kind === 'tx' ? [record.tx.tx] : [])),
  );

describe('group commits as log entries', () => {
  it('splits a queue larger than one entry into several, in order, each within entryBytesMax', async () => {
    const log = new MemoryLog(entryBytesMax);
    const conn = await open({ storage: storage.memory(), log, schema });
    const before = (await entriesOf(log)).length;
    const texts = Array.from({ length: 40 }, (_, i) => `${i}:${noise(300, i)}`);
    const reports = await Promise.all(texts.map((text) => conn.transact([{ 'note/text': text }])));
    const entries = (await entriesOf(log)).slice(before);
    assert.ok(entries.length > 1, `40 txs of 300+ bytes take several 4 KiB entries, got ${entries.length}`);
    for (const entry of entries) assert.ok(entryBytes(entry.records) <= entryBytesMax);
    assert.deepEqual(
      txsOf(entries),
      reports.map((r) => r.tx),
      'every tx once, in tx order',
    );
    const notes = conn.q('[:find ?t :where [_ :note/text ?t]]') as unknown[][];
    assert.equal(notes.length, 40);
    await conn.close();
  });

  it('refuses a tx too large for one entry before applying it, and goes on', async () => {
    const log = new MemoryLog(entryBytesMax);
    const conn = await open({ storage: storage.memory(), log, schema });
    const basis = conn.basisTx;
    await assert.rejects(conn.transact([{ 'note/text': noise(2 * entryBytesMax, 1) }]), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'GSW_ERR_TX_TOO_LARGE');
      assert.match(error.message, /more than one log entry holds \(entryBytesMax 4096\)/);
      return true;
    });
    assert.equal(conn.basisTx, basis);
    const after = await conn.transact([{ 'note/text': 'small' }]);
    assert.ok(after.tx > basis, 'the connection still takes txs');
    assert.equal((conn.q('[:find ?t :where [_ :note/text ?t]]') as unknown[][]).length, 1);
    await conn.close();
  });

  it('replays tx records and skips epoch records when opening on a log', async () => {
    const log = new MemoryLog(entryBytesMax);
    const first = await open({ storage: storage.memory(), log, schema });
    const { tx } = await first.transact([{ 'note/text': 'before the epoch' }]);
    await log.append([encodeLogRecord({ kind: 'epoch', epoch: { epoch: 1, node: 'n1', shard: 0 } })], {
      expectedLast: await log.last(),
    });
    // A second connection on the same log: it replays everything, then appends after the epoch.
    const second = await open({ storage: storage.memory(), log });
    assert.equal(second.basisTx, tx);
    const next = await second.transact([{ 'note/text': 'after the epoch' }]);
    assert.ok(next.tx > tx);
    const kinds = (await entriesOf(log)).flatMap((e) => e.records.map((r) => decodeLogRecord(r).kind));
    assert.deepEqual(kinds.slice(-2), ['epoch', 'tx']);
    await assert.rejects(first.transact([{ 'note/text': 'stale' }]), { code: 'GSW_ERR_FENCED' });
    await second.close();
  });
});
