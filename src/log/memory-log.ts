/** The log kept in memory: for `storage.memory()` and tests. Nothing survives the process. */
import { fail } from '../errors.js';
import type { TxLog } from './log.js';

export class MemoryLog implements TxLog {
  private readonly records: Uint8Array[] = [];

  async append(records: readonly Uint8Array[], options: { expectedLast: number }): Promise<number> {
    if (options.expectedLast !== this.records.length) {
      fail(
        'GSW_ERR_FENCED',
        `expected the log to end at ${options.expectedLast}, it ends at ${this.records.length}`,
      );
    }
    this.records.push(...records);
    return this.records.length;
  }

  *read(from: number): Iterable<{ position: number; record: Uint8Array }> {
    for (let i = from; i < this.records.length; i++) yield { position: i + 1, record: this.records[i]! };
  }

  last(): number {
    return this.records.length;
  }

  async close(): Promise<void> {}
}
