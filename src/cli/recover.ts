/**
 * `gswarm recover --truncate-after N`: keeps log entries 1 to N and drops every later one (the
 * first damaged entry and whatever follows it). The kept entries are copied into a fresh log
 * file which then replaces the old one, kept beside it as `log.mdb.damaged`: LMDB cannot safely
 * change a file whose pages are damaged (deleting through a garbage page crashes), but it reads the
 * pages before the damage. A checkpoint that covers dropped entries, or cannot be read, is
 * removed, so the next open replays the log that remains. Takes the directory's lock: never while
 * a server has it open. The txs of dropped entries are lost and must be sent again (ingest is
 * idempotent). docs/recovery.md says when to use it.
 */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GswarmError } from '../errors.js';
import { checkLmdbFile } from '../log/lmdb-check.js';
import { LmdbLog } from '../log/lmdb-log.js';
import { readCheckpoint } from '../store/checkpoint.js';
import { lockDirectory } from '../store/dir-lock.js';

/** Records per append while copying. */

export interface RecoverReport {
  droppedRecords: number;
  lastPosition: number;
  checkpointRemoved: boolean;
}

export async function truncateLog(dir: string, keep: number): Promise<RecoverReport> {
  const unlock = lockDirectory(dir);
  try {
    const logPath = join(dir, 'log.mdb');
    // A file shorter than its meta pages cannot be mapped at all, so it is not read.
    checkLmdbFile(logPath);
    await refuseTrimmed(logPath);
    const freshPath = join(dir, 'log.mdb.recovering');
    removeLmdbFile(freshPath);
    const { copied, last } = await copyEntries(logPath, freshPath, keep);
    if (copied < Math.min(keep, last)) {
      removeLmdbFile(freshPath);
      throw new GswarmError(
        'GSW_ERR_LOG_CORRUPT',
        `only entries 1 to ${copied} of ${logPath} can be read; run gswarm verify, then recover with --truncate-after ${copied}`,
        { file: logPath, position: copied + 1 },
      );
    }
    renameSync(logPath, join(dir, 'log.mdb.damaged'));
    rmSync(`${logPath}-lock`, { force: true });
    renameSync(freshPath, logPath);
    rmSync(`${freshPath}-lock`, { force: true });
    const checkpointPath = join(dir, 'checkpoint');
    const checkpointRemoved = !(await checkpointFits(checkpointPath, copied));
    if (checkpointRemoved) rmSync(checkpointPath, { force: true });
    return { droppedRecords: last - copied, lastPosition: copied, checkpointRemoved };
  } finally {
    unlock();
  }
}

/** Copies entries 1 to `keep` (as far as they read in order); returns how many, and the old end. */
async function copyEntries(
  from: string,
  to: string,
  keep: number,
): Promise<{ copied: number; last: number }> {
  const source = new LmdbLog(from);
  const target = new LmdbLog(to);
  try {
    let copied = 0;
    for await (const { position, records } of source.read(0)) {
      if (position > keep || position !== copied + 1) break;
      copied = await target.append(records, { expectedLast: copied });
    }
    return { copied, last: await source.last() };
  } finally {
    await source.close();
    await target.close();
  }
}

/** A log that retention trimmed starts after entry 1; recovery rebuilds logs from entry 1. */
async function refuseTrimmed(path: string): Promise<void> {
  const log = new LmdbLog(path);
  const first = await log.first().finally(() => log.close());
  if (first > 1) {
    throw new Error(
      `${path} starts at entry ${first}: retention dropped the entries before, which only its checkpoint holds; recover rebuilds logs that start at entry 1, so restore a backup instead (docs/recovery.md)`,
    );
  }
}

function removeLmdbFile(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}-lock`, { force: true });
}

/** Whether the checkpoint at `path` is absent, or readable and within the first `keep` entries. */
async function checkpointFits(path: string, keep: number): Promise<boolean> {
  try {
    const checkpoint = await readCheckpoint(path);
    return checkpoint === undefined || checkpoint.logPosition <= keep;
  } catch (error) {
    if (error instanceof GswarmError) return false;
    throw error;
  }
}
