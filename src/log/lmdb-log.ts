/**
 * The log on LMDB, the embedded default: one key per record (its position, uint32), written in
 * one LMDB transaction per group commit. The only file that touches LMDB.
 *
 * Durability: lmdb-js by default resolves a write when the transaction commits and flushes to
 * disk afterwards (`overlappingSync`). The log opens with `overlappingSync: false`, so a commit
 * resolves only once synced, and never uses `noSync`.
 */
import { type Database, open } from 'lmdb';
import { fail, GswarmError } from '../errors.js';
import type { TxLog } from './log.js';

export class LmdbLog implements TxLog {
  private readonly db: Database<Uint8Array, number>;
  private lastPosition: number;

  constructor(path: string) {
    this.db = open<Uint8Array, number>({
      path,
      keyEncoding: 'uint32',
      encoding: 'binary',
      overlappingSync: false,
      noSync: false,
      mapSize: 2 ** 40,
    });
    this.lastPosition = this.lastKeyOnDisk();
  }

  async append(records: readonly Uint8Array[], options: { expectedLast: number }): Promise<number> {
    const start = options.expectedLast;
    let written: boolean;
    try {
      // The fence: the write is conditional on position start + 1 still being free when LMDB
      // commits it, checked inside the writer thread, so a concurrent writer cannot slip in.
      written = await this.db.ifNoExists(start + 1, () => {
        records.forEach((record, i) => this.db.put(start + i + 1, record));
      });
    } catch (error) {
      throw new GswarmError(
        'GSW_ERR_STORE_FAILED',
        `log append failed: ${(error as Error).message}`,
        {},
        error,
      );
    }
    if (!written)
      fail('GSW_ERR_FENCED', `expected the log to end at ${start}, but another writer appended there`);
    this.lastPosition = start + records.length;
    return this.lastPosition;
  }

  *read(from: number): Iterable<{ position: number; record: Uint8Array }> {
    for (const { key, value } of this.db.getRange({ start: from + 1 }))
      yield { position: key, record: value };
  }

  last(): number {
    return this.lastPosition;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /**
   * A consistent copy of the log at `path` (a new file), made by LMDB from one read transaction
   * while writers carry on: it holds exactly the records committed when the copy began.
   */
  async backup(path: string): Promise<void> {
    await this.db.backup(path, false);
  }

  private lastKeyOnDisk(): number {
    for (const key of this.db.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  }
}
