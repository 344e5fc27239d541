/**
 * Replaying the log into a database: at open (after the checkpoint's position) and by
 * `gswarm verify` (from the start). A record that is missing, cannot be decoded, or cannot be
 * applied is damage, reported by file and position (GSW_ERR_LOG_CORRUPT), never half-believed.
 */
import type { Db } from '../db/db.js';
import { GswarmError } from '../errors.js';
import type { TxLog } from '../log/log.js';
import { decodeRecord } from '../log/record-codec.js';

/** Applies the records of `log` after position `from` to `db`; returns the last position applied. */
export async function replayLog(db: Db, log: TxLog, from: number, file: string): Promise<number> {
  let last = from;
  for await (const { position, record } of log.read(from)) {
    try {
      if (position !== last + 1) throw new Error(`records ${last + 1} to ${position - 1} are missing`);
      db.replay(decodeRecord(record, db.store.lastTxId));
    } catch (error) {
      throw new GswarmError(
        'GSW_ERR_LOG_CORRUPT',
        `log ${file} is damaged at record ${position}: ${(error as Error).message}; see docs/recovery.md`,
        { file, position, lastGood: last },
        error,
      );
    }
    last = position;
  }
  return last;
}
