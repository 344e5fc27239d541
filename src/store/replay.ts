/**
 * Replaying the log into a database: at open (after the checkpoint's position) and by
 * `gswarm verify` (from the start, or from the checkpoint when retention dropped the log's first
 * entries). An entry that is missing, cannot be decoded, or cannot be
 * applied is damage, reported by file and position (GSW_ERR_LOG_CORRUPT), never half-believed.
 * Epoch (leadership) records carry no datoms and are skipped; a prune record prunes the Db.
 */
import type { Db } from '../db/db.js';
import { GswarmError } from '../errors.js';
import type { EpochRecord } from '../log/epoch-record.js';
import type { TxLog } from '../log/log.js';
import { decodeLogRecord } from '../log/log-record.js';

/** What a replay tells, and where it only reads. */
export interface ReplayOptions {
  /** Hears each epoch record replayed, with its position. */
  onEpoch?: (epoch: EpochRecord, position: number) => void;
  /** Hears the position of each prune record applied. */
  onPrune?: (position: number) => void;
  /** Entries up to this position are read and decoded but not applied (a checkpoint holds them). */
  readOnlyThrough?: number;
}

/**
 * Applies the tx and prune records of the log's entries after position `from` to `db`; returns
 * the last position read. Epoch records say who leads and carry no datoms.
 */
export async function replayLog(
  db: Db,
  log: TxLog,
  from: number,
  file: string,
  options: ReplayOptions = {},
): Promise<number> {
  const { onEpoch, onPrune, readOnlyThrough = 0 } = options;
  let last = from;
  try {
    // A shared log (JetStream) may grow while it is read: read again until a pass reaches the
    // end. Two passes in a row that make no progress short of the end are damage (LMDB may end an
    // iteration early at a damaged page instead of failing); one may just have started before an
    // append that the end, read after it, includes.
    for (let stalled = 0; ; ) {
      const passFrom = last;
      for await (const { position, records } of log.read(last)) {
        if (position !== last + 1) {
          throw new Error(
            `entries ${last + 1} to ${position - 1} are missing (if retention dropped them, only the checkpoint that covered them can open this store)`,
          );
        }
        for (const bytes of records) {
          if (position <= readOnlyThrough) {
            decodeLogRecord(bytes);
            continue;
          }
          const record = decodeLogRecord(bytes, db.store.lastTxId);
          if (record.kind === 'tx') db.replay(record.tx);
          else if (record.kind === 'prune') {
            db.prune(record.prune.horizonTx, record.prune.attributes);
            onPrune?.(position);
          } else onEpoch?.(record.epoch, position);
        }
        last = position;
      }
      const end = await log.last();
      if (last >= end) break;
      stalled = last > passFrom ? 0 : stalled + 1;
      if (stalled === 2) throw new Error(`it cannot be read, though the log ends at entry ${end}`);
    }
  } catch (error) {
    // A log that cannot be reached now (JetStream) is not damaged: the caller may try again.
    if (error instanceof GswarmError && error.code === 'GSW_ERR_LOG_UNAVAILABLE') throw error;
    // Reading the file itself may fail too (LMDB finding a damaged page): the same damage.
    throw new GswarmError(
      'GSW_ERR_LOG_CORRUPT',
      `log ${file} is damaged at entry ${last + 1}: ${(error as Error).message}; see docs/recovery.md`,
      { file, position: last + 1, lastGood: last },
      error,
    );
  }
  return last;
}
