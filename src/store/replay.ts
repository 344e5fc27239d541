/**
 * Replaying the log into a database: at open (after the checkpoint's position) and by
 * `gswarm verify` (from the start). An entry that is missing, cannot be decoded, or cannot be
 * applied is damage, reported by file and position (GSW_ERR_LOG_CORRUPT), never half-believed.
 * Epoch (leadership) records carry no datoms and are skipped.
 */
import type { Db } from '../db/db.js';
import { GswarmError } from '../errors.js';
import type { EpochRecord } from '../log/epoch-record.js';
import type { TxLog } from '../log/log.js';
import { decodeLogRecord } from '../log/log-record.js';

/**
 * Applies the entries of `log` after position `from` to `db`; returns the last position applied.
 * `onEpoch` hears every epoch record replayed, with its position.
 */
export async function replayLog(
  db: Db,
  log: TxLog,
  from: number,
  file: string,
  onEpoch?: (epoch: EpochRecord, position: number) => void,
): Promise<number> {
  let last = from;
  try {
    // Reading can fail too (an entry that does not decode): that is damage at the next position.
    for await (const { position, records } of log.read(from)) {
      if (position !== last + 1) throw new Error(`entries ${last + 1} to ${position - 1} are missing`);
      for (const bytes of records) {
        const record = decodeLogRecord(bytes);
        if (record.kind === 'tx') db.replay(record.tx);
        else onEpoch?.(record.epoch, position);
      }
      last = position;
    }
  } catch (error) {
    if (error instanceof GswarmError && error.code !== 'GSW_ERR_LOG_CORRUPT') throw error;
    throw new GswarmError(
      'GSW_ERR_LOG_CORRUPT',
      `log ${file} is damaged at entry ${last + 1}: ${(error as Error).message}; see docs/recovery.md`,
      { file, position: last + 1, lastGood: last },
      error,
    );
  }
  return last;
}
