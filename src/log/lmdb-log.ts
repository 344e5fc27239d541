/**
 * The log on LMDB, the embedded default: one key per entry (its position, uint32), each entry
 * written in its own LMDB transaction. The only file that touches LMDB.
 *
 * Durability: lmdb-js by default resolves a write when the transaction commits and flushes to
 * disk afterwards (`overlappingSync`). The log opens with `overlappingSync: false`, so a commit
 * resolves only once synced, and never uses `noSync`.
 *
 * `follow` wakes on appends made in this process, through any LmdbLog on the same path; the
 * embedded log has one writer, its own process. Another process's appends are seen by `read` and
 * `last`, not awaited by `follow`.
 */
import { resolve } from 'node:path';
import { type Database, open } from 'lmdb';
import { fail, GswarmError } from '../errors.js';
import { checkEntryBytes, decodeEntry, encodeEntry } from './entry-codec.js';
import { LocalAppends } from './follow.js';
import { type LogEntry, localEntryBytesMaxDefault, type TxLog } from './log.js';

/** One pulse per log path in this process, shared by every LmdbLog open on it. */
const pulses = (() => {
  const byPath = new Map<string, { pulse: LocalAppends; users: number }>();
  return {
    open(path: string): LocalAppends {
      const shared = byPath.get(path) ?? { pulse: new LocalAppends(), users: 0 };
      shared.users++;
      byPath.set(path, shared);
      return shared.pulse;
    },
    close(path: string): void {
      const shared = byPath.get(path);
      if (shared && --shared.users === 0) byPath.delete(path);
    },
  };
})();

export class LmdbLog implements TxLog {
  private readonly db: Database<Uint8Array, number>;
  private readonly appends: LocalAppends;

  constructor(
    private readonly path: string,
    readonly entryBytesMax = localEntryBytesMaxDefault,
  ) {
    this.db = open<Uint8Array, number>({
      path,
      keyEncoding: 'uint32',
      encoding: 'binary',
      overlappingSync: false,
      noSync: false,
      mapSize: 2 ** 40,
    });
    this.appends = new LocalAppends(pulses.open(resolve(path)));
  }

  async append(records: readonly Uint8Array[], options: { expectedLast: number }): Promise<number> {
    this.appends.checkOpen();
    checkEntryBytes(records, this.entryBytesMax);
    const { expectedLast } = options;
    const position = expectedLast + 1;
    const entry = encodeEntry(records);
    let written: boolean;
    try {
      // The fence: checked inside the write transaction, which holds LMDB's writer lock, so no
      // other writer (in any process) can move the log between the check and the put.
      written = await this.db.transaction(() => {
        if (this.lastOnDisk() !== expectedLast) return false;
        this.db.put(position, entry);
        return true;
      });
    } catch (error) {
      const cause = await commitCause(error);
      throw new GswarmError(
        'GSW_ERR_STORE_FAILED',
        `log append failed: ${(cause as Error).message}`,
        {},
        cause,
      );
    }
    if (!written) {
      fail('GSW_ERR_FENCED', `expected the log to end at ${expectedLast}, but it ends elsewhere`, {
        expectedLast,
      });
    }
    this.appends.appended();
    return position;
  }

  async *read(from: number): AsyncIterable<LogEntry> {
    this.appends.checkOpen();
    // lmdb-js reuses one read snapshot for a while: without a fresh one, a follow woken by another
    // LmdbLog's append on this file could read the old snapshot, see nothing, and wait forever.
    this.db.resetReadTxn();
    const end = this.lastOnDisk();
    for (const { key, value } of this.db.getRange({ start: from + 1, end: end + 1 })) {
      this.appends.checkOpen();
      yield { position: key, records: decodeEntry(value, `log entry ${key}`) };
    }
  }

  follow(from: number, options: { signal?: AbortSignal } = {}): AsyncIterable<LogEntry> {
    return this.appends.follow((at) => this.read(at), from, options.signal);
  }

  async last(): Promise<number> {
    return this.lastOnDisk();
  }

  /** The first position held: 1, or later once retention dropped entries (0: the log is empty). */
  async first(): Promise<number> {
    this.db.resetReadTxn();
    for (const key of this.db.getKeys({ limit: 1 })) return key;
    return 0;
  }

  /** Removes the entries before `position`; LMDB reuses their pages for later entries. */
  async dropBefore(position: number): Promise<void> {
    this.appends.checkOpen();
    try {
      await this.db.transaction(() => {
        for (const key of this.db.getKeys({ end: position })) this.db.remove(key);
      });
    } catch (error) {
      const cause = await commitCause(error);
      throw new GswarmError(
        'GSW_ERR_STORE_FAILED',
        `log trim failed: ${(cause as Error).message}`,
        {},
        cause,
      );
    }
  }

  async close(): Promise<void> {
    if (this.appends.closed) return;
    this.appends.close();
    pulses.close(resolve(this.path));
    await this.db.close();
  }

  /**
   * A consistent copy of the log at `path` (a new file), made by LMDB from one read transaction
   * while writers carry on: it holds exactly the entries committed when the copy began.
   */
  async backup(path: string): Promise<void> {
    await this.db.backup(path, false);
  }

  private lastOnDisk(): number {
    for (const key of this.db.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  }
}

/**
 * The real reason of a failed LMDB commit. lmdb-js rejects the write with "Commit failed (see
 * commitError for details)" and rejects `error.commitError` with the cause (ENOSPC, ...) in the
 * same callback; left unhandled, that second rejection would kill the process.
 */
async function commitCause(error: unknown): Promise<unknown> {
  const commitError = (error as { commitError?: Promise<unknown> }).commitError;
  if (commitError === undefined) return error;
  const cause = commitError.then(
    () => error,
    (reason: unknown) => reason,
  );
  // Settled already when lmdb-js rejected the write; never wait on it past this turn.
  return Promise.race([cause, new Promise((resolve) => setImmediate(() => resolve(error)))]);
}
