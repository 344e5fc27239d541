/**
 * Following a log that lives in this process (memory, LMDB): read what is there, then wait for
 * the next append, close or abort, and read again.
 */
import { fail } from '../errors.js';
import type { LogEntry } from './log.js';

/**
 * The open/closed state of a log in this process and the pulse its followers wait on: it beats
 * on each append and on close. LMDB logs on one path share a pulse, so a follow wakes on appends
 * made through any of them.
 */
export class LocalAppends {
  private next = deferred();
  private ended = false;

  constructor(private readonly shared?: LocalAppends) {}

  get closed(): boolean {
    return this.ended;
  }

  checkOpen(): void {
    if (this.ended) fail('GSW_ERR_CLOSED', 'the log is closed');
  }

  appended(): void {
    (this.shared ?? this).beat();
  }

  close(): void {
    this.ended = true;
    this.appended();
  }

  async *follow(
    read: (from: number) => AsyncIterable<LogEntry>,
    from: number,
    abort: AbortSignal | undefined,
  ): AsyncIterable<LogEntry> {
    const aborted = abort && new Promise<void>((resolve) => abort.addEventListener('abort', () => resolve()));
    const ended = () => this.ended || abort?.aborted === true;
    let position = from;
    while (!ended()) {
      // Taken before reading, so an append that lands during the read is not missed.
      const changed = (this.shared ?? this).next.promise;
      for await (const entry of read(position)) {
        yield entry;
        position = entry.position;
        // Checked before the next read step: a closed log must not be read.
        if (ended()) return;
      }
      await (aborted ? Promise.race([changed, aborted]) : changed);
    }
  }

  private beat(): void {
    const { resolve } = this.next;
    this.next = deferred();
    resolve();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
