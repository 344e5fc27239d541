/**
 * The transaction-log seam. Everything durable is a log of tx records; everything else (indices,
 * checkpoints, alerts in flight) is derived from it. Positions start at 1 and increase by one per
 * record; 0 means "empty".
 */
export interface TxLog {
  /**
   * Appends `records` after position `expectedLast`, durably: when the promise resolves the
   * records are synced. If the log's last position is not `expectedLast` (another writer moved
   * it), nothing is appended and the promise rejects with GSW_ERR_FENCED.
   */
  append(records: readonly Uint8Array[], options: { expectedLast: number }): Promise<number>;
  /** The records after position `from`, in order. */
  read(from: number): Iterable<{ position: number; record: Uint8Array }>;
  /** The last durable position. */
  last(): number;
  close(): Promise<void>;
}
