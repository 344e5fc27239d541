/**
 * The contract every TxLog keeps, as one suite run against each implementation: entries in
 * order at dense positions, the fence under concurrent appends, reading and following from any
 * position, the entry size limit, and close.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GswarmError } from '../../src/errors.js';
import type { LogEntry, TxLog } from '../../src/log/log.js';

/** A fresh, empty log, and more handles on the same log (other writers, as other nodes). */
export interface LogFixture {
  log: TxLog;
  another(): Promise<TxLog>;
}

const bytes = (...values: number[]) => Uint8Array.from(values);
const plain = (entry: LogEntry) => [entry.position, entry.records.map((r) => [...r])] as const;

async function entries(log: TxLog, from = 0) {
  const out: (readonly [number, number[][]])[] = [];
  for await (const entry of log.read(from)) out.push(plain(entry));
  return out;
}

/** Collects followed entries until `count` have arrived. */
async function followed(iterable: AsyncIterable<LogEntry>, count: number) {
  const out: (readonly [number, number[][]])[] = [];
  if (count === 0) return out;
  for await (const entry of iterable) {
    out.push(plain(entry));
    if (out.length === count) break;
  }
  return out;
}

export function logContract(name: string, fresh: () => Promise<LogFixture>): void {
  describe(`the log contract: ${name}`, () => {
    it('numbers entries 1, 2, 3 and reads them back in order, whole, from any position', async () => {
      const { log } = await fresh();
      try {
        assert.equal(await log.last(), 0, 'a new log is empty');
        assert.deepEqual(await entries(log), []);
        assert.equal(await log.append([bytes(1), bytes(2, 2)], { expectedLast: 0 }), 1);
        assert.equal(await log.append([bytes(3)], { expectedLast: 1 }), 2);
        assert.equal(await log.append([bytes(), bytes(4), bytes(5, 5, 5)], { expectedLast: 2 }), 3);
        assert.equal(await log.last(), 3);
        const all = [
          [1, [[1], [2, 2]]],
          [2, [[3]]],
          [3, [[], [4], [5, 5, 5]]],
        ];
        assert.deepEqual(await entries(log), all);
        assert.deepEqual(await entries(log, 1), all.slice(1));
        assert.deepEqual(await entries(log, 3), [], 'nothing after the last');
      } finally {
        await log.close();
      }
    });

    it('of concurrent appends after the same position exactly one lands; the others are fenced', async () => {
      const { log, another } = await fresh();
      const writers = [log, await another(), await another()];
      try {
        await log.append([bytes(0)], { expectedLast: 0 });
        const outcomes = await Promise.allSettled(
          writers.map((writer, i) => writer.append([bytes(10 + i), bytes(20 + i)], { expectedLast: 1 })),
        );
        const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
        assert.equal(won.length, 1, 'exactly one append lands');
        for (const outcome of outcomes) {
          if (outcome.status === 'fulfilled') {
            assert.equal(outcome.value, 2);
            continue;
          }
          assert.ok(outcome.reason instanceof GswarmError, String(outcome.reason));
          assert.equal(outcome.reason.code, 'GSW_ERR_FENCED');
          assert.match(outcome.reason.message, /expected the log to end at 1/);
        }
        const winner = won[0]!;
        const history = [
          [1, [[0]]],
          [2, [[10 + winner], [20 + winner]]],
        ];
        for (const writer of writers) assert.deepEqual(await entries(writer), history, 'one history');
        const stale = writers[(winner + 1) % writers.length]!;
        await assert.rejects(stale.append([bytes(30)], { expectedLast: 1 }), { code: 'GSW_ERR_FENCED' });
        await assert.rejects(stale.append([bytes(30)], { expectedLast: 5 }), { code: 'GSW_ERR_FENCED' });
        assert.deepEqual(await entries(log), history, 'a fenced append writes nothing');
        assert.equal(await stale.append([bytes(31)], { expectedLast: await stale.last() }), 3);
      } finally {
        for (const writer of writers) await writer.close();
      }
    });

    it('follows from a position: what is there, then each entry as it is appended, until aborted', async () => {
      const { log } = await fresh();
      try {
        await log.append([bytes(1)], { expectedLast: 0 });
        await log.append([bytes(2)], { expectedLast: 1 });
        const abort = new AbortController();
        const iterator = log.follow(1, { signal: abort.signal })[Symbol.asyncIterator]();
        assert.deepEqual(plain((await iterator.next()).value), [2, [[2]]], 'what was there');
        const pending = iterator.next();
        await log.append([bytes(3), bytes(3)], { expectedLast: 2 });
        assert.deepEqual(plain((await pending).value), [3, [[3], [3]]], 'an entry appended while waiting');
        await log.append([bytes(4)], { expectedLast: 3 });
        await log.append([bytes(5)], { expectedLast: 4 });
        assert.deepEqual(plain((await iterator.next()).value), [4, [[4]]]);
        assert.deepEqual(plain((await iterator.next()).value), [5, [[5]]]);
        const waiting = iterator.next();
        abort.abort();
        assert.deepEqual(await waiting, { done: true, value: undefined }, 'abort ends the follow');
        assert.deepEqual(await followed(log.follow(5), 0), []);
      } finally {
        await log.close();
      }
    });

    it('a follow sees another writer’s appends in order', async () => {
      const { log, another } = await fresh();
      const writer = await another();
      try {
        const abort = new AbortController();
        const seen = followed(log.follow(0, { signal: abort.signal }), 3);
        for (let i = 0; i < 3; i++) await writer.append([bytes(i)], { expectedLast: i });
        assert.deepEqual(await seen, [
          [1, [[0]]],
          [2, [[1]]],
          [3, [[2]]],
        ]);
        abort.abort();
      } finally {
        await writer.close();
        await log.close();
      }
    });

    it('closing the log ends its follows', async () => {
      const { log } = await fresh();
      await log.append([bytes(1)], { expectedLast: 0 });
      const iterator = log.follow(0)[Symbol.asyncIterator]();
      assert.deepEqual(plain((await iterator.next()).value), [1, [[1]]]);
      const waiting = iterator.next();
      await log.close();
      assert.deepEqual(await waiting, { done: true, value: undefined });
    });

    it('refuses an entry over entryBytesMax whole, naming both sizes', async () => {
      const { log } = await fresh();
      try {
        const record = new Uint8Array(log.entryBytesMax);
        await assert.rejects(log.append([bytes(1), record], { expectedLast: 0 }), (error: GswarmError) => {
          assert.equal(error.code, 'GSW_ERR_ENTRY_TOO_LARGE');
          assert.match(error.message, new RegExp(`exceeds entryBytesMax \\(${log.entryBytesMax} bytes\\)`));
          return true;
        });
        assert.equal(await log.last(), 0, 'nothing appended');
      } finally {
        await log.close();
      }
    });
  });
}
