/**
 * The transaction-log seam. Everything durable is a log; everything else (indices, checkpoints,
 * alerts in flight) is derived from it.
 *
 * The unit is the entry: one group commit, holding that group's records in order, appended
 * atomically (one LMDB key, one JetStream message). Positions number entries: they start at 1 and
 * increase by one per entry; 0 means "empty". A record is opaque bytes here; its kind (tx or
 * epoch) is read by src/log/log-record.ts.
 */
export interface LogEntry {
  readonly position: number;
  readonly records: readonly Uint8Array[];
}

export interface TxLog {
  /**
   * The largest entry `append` takes, in encoded bytes (`entryBytes`). A writer caps its groups
   * by it; a single record too large for an entry on its own is the writer's to refuse.
   */
  readonly entryBytesMax: number;
  /**
   * Appends `records` as one entry after position `expectedLast`, durably: when the promise
   * resolves the entry is durable, and it resolves with the entry's position. If the log's last
   * position is not `expectedLast` (another writer moved it), nothing is appended and the promise
   * rejects with GSW_ERR_FENCED. An entry over `entryBytesMax` is refused with
   * GSW_ERR_ENTRY_TOO_LARGE and nothing is appended.
   */
  append(records: readonly Uint8Array[], options: { expectedLast: number }): Promise<number>;
  /** The entries after position `from` that were durable when called, in order; then it ends. */
  read(from: number): AsyncIterable<LogEntry>;
  /**
   * The entries after position `from`, in order, as they become durable; it ends (without an
   * error) when the log is closed or `signal` aborts.
   */
  follow(from: number, options?: { signal?: AbortSignal }): AsyncIterable<LogEntry>;
  /** The last durable position. */
  last(): Promise<number>;
  /**
   * Drops the entries before `position` for good: retention, once a checkpoint covers them. A
   * later `read` from before `position` starts at `position`. A log without it keeps everything.
   */
  dropBefore?(position: number): Promise<void>;
  /** Closes the log; followers end. */
  close(): Promise<void>;
}

/**
 * An embedded log (memory, LMDB) takes any transaction the database takes: entries up to this
 * many bytes, far above what `txDatomsMax` and the HTTP body limits let through.
 */
export const localEntryBytesMaxDefault = 256 * 1024 * 1024;
