/**
 * `gswarm recover --truncate-after N`: keeps log records 1 to N and removes every later one (the
 * first damaged record and whatever follows it), and removes a checkpoint that covers removed
 * records or cannot be read, so the next open replays the log that remains. Takes the directory's
 * lock: never while a server has it open. Records after N are lost: their txs must be sent again
 * (ingest is idempotent). docs/recovery.md says when to use it.
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { GswarmError } from '../errors.js';
import { checkLmdbFile } from '../log/lmdb-check.js';
import { LmdbLog } from '../log/lmdb-log.js';
import { readCheckpoint } from '../store/checkpoint.js';
import { lockDirectory } from '../store/dir-lock.js';

export interface RecoverReport {
  removedRecords: number;
  lastPosition: number;
  checkpointRemoved: boolean;
}

export async function truncateLog(dir: string, keep: number): Promise<RecoverReport> {
  const unlock = lockDirectory(dir);
  try {
    const logPath = join(dir, 'log.mdb');
    // A file shorter than its meta pages cannot be mapped at all, so not repaired in place.
    checkLmdbFile(logPath);
    const log = new LmdbLog(logPath);
    let removedRecords: number;
    let lastPosition: number;
    try {
      removedRecords = log.truncateAfter(keep);
      lastPosition = await log.last();
    } finally {
      await log.close();
    }
    const checkpointPath = join(dir, 'checkpoint');
    const checkpointRemoved = !checkpointFits(checkpointPath, keep);
    if (checkpointRemoved) rmSync(checkpointPath, { force: true });
    return { removedRecords, lastPosition, checkpointRemoved };
  } finally {
    unlock();
  }
}

/** Whether the checkpoint at `path` is absent, or readable and within the first `keep` records. */
function checkpointFits(path: string, keep: number): boolean {
  try {
    const checkpoint = readCheckpoint(path);
    return checkpoint === undefined || checkpoint.logPosition <= keep;
  } catch (error) {
    if (error instanceof GswarmError) return false;
    throw error;
  }
}
