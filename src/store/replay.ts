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
  try {
    for await (const { position, record } of log.read(from)) {
      if (position !== last + 1) throw new Error(`records ${last + 1} to ${position - 1} are missing`);
      db.replay(decodeRecord(record, db.store.lastTxId));
      last = position;
    }
    // LMDB may end an iteration early at a damaged page instead of failing.
    if (last < log.last()) throw new Error(`it cannot be read, though the log ends at record ${log.last()}`);
  } catch (error) {
    // Reading the file itself may fail too (LMDB finding a damaged page): the same damage.
    throw new GswarmError(
      'GSW_ERR_LOG_CORRUPT',
      `log ${file} is damaged at record ${last + 1}: ${(error as Error).message}; see docs/recovery.md`,
      { file, position: last + 1, lastGood: last },
      error,
    );
  }
  return last;
}
