/** The log kept in memory: for `storage.memory()` and tests. Nothing survives the process. */
import { fail } from '../errors.js';
import { checkEntryBytes } from './entry-codec.js';
import { LocalAppends } from './follow.js';
import { type LogEntry, localEntryBytesMaxDefault, type TxLog } from './log.js';

export class MemoryLog implements TxLog {
  private readonly entries: (readonly Uint8Array[])[] = [];
  /** Entries before this position were dropped. */
  private first = 1;
  private readonly appends = new LocalAppends();

  constructor(readonly entryBytesMax = localEntryBytesMaxDefault) {}

  async append(records: readonly Uint8Array[], options: { expectedLast: number }): Promise<number> {
    this.appends.checkOpen();
    checkEntryBytes(records, this.entryBytesMax);
    if (options.expectedLast !== this.entries.length) {
      fail(
        'GSW_ERR_FENCED',
        `expected the log to end at ${options.expectedLast}, it ends at ${this.entries.length}`,
        { expectedLast: options.expectedLast, last: this.entries.length },
      );
    }
    this.entries.push([...records]);
    this.appends.appended();
    return this.entries.length;
  }

  async *read(from: number): AsyncIterable<LogEntry> {
    const end = this.entries.length;
    for (let i = Math.max(from, this.first - 1); i < end; i++)
      yield { position: i + 1, records: this.entries[i]! };
  }

  follow(from: number, options: { signal?: AbortSignal } = {}): AsyncIterable<LogEntry> {
    return this.appends.follow((at) => this.read(at), from, options.signal);
  }

  async last(): Promise<number> {
    return this.entries.length;
  }

  async dropBefore(position: number): Promise<void> {
    for (let i = this.first - 1; i < position - 1 && i < this.entries.length; i++) this.entries[i] = [];
    this.first = Math.max(this.first, position);
  }

  async close(): Promise<void> {
    this.appends.close();
  }
}
