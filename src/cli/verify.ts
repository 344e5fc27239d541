/**
 * `gswarm verify`: reads a data directory whole, as an open would (the LMDB file against its meta
 * pages, every log entry decoded and applied in order, the checkpoint's checksums and position),
 * and reports the first damage with the recovery that keeps everything before it. Reads only: it
 * may run beside a server on the same directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatomStore } from '../db/datoms.js';
import { Db } from '../db/db.js';
import { GswarmError } from '../errors.js';
import { checkLmdbFile } from '../log/lmdb-check.js';
import { LmdbLog } from '../log/lmdb-log.js';
import { readCheckpoint } from '../store/checkpoint.js';
import { replayLog } from '../store/replay.js';

export interface VerifyReport {
  ok: boolean;
  /** Records read and applied without damage. */
  records: number;
  /** The first damage, and the `gswarm recover` command that keeps every entry before it. */
  damage?: { message: string; position?: number; recover?: string };
  checkpoint:
    | 'none'
    | 'ok'
    | 'unreadable (it will be ignored and the log replayed)'
    | 'past the end of the log';
}

export async function verifyStore(dir: string): Promise<VerifyReport> {
  if (!existsSync(join(dir, 'log.mdb'))) throw new Error(`${dir} holds no log (log.mdb)`);
  const logPath = join(dir, 'log.mdb');
  const checkpoint = await checkpointState(join(dir, 'checkpoint'));
  try {
    checkLmdbFile(logPath);
  } catch (error) {
    if (!(error instanceof GswarmError)) throw error;
    return { ok: false, records: 0, damage: { message: error.message }, checkpoint: checkpoint.state };
  }
  const log = new LmdbLog(logPath);
  try {
    // A log that retention trimmed starts after entry 1: only its checkpoint can stand for what
    // went, so the replay starts from it (the entries it covers are read, not applied).
    const first = await log.first();
    const trimmed = first > 1;
    if (trimmed && (checkpoint.store === undefined || checkpoint.position < first - 1)) {
      const held =
        checkpoint.store !== undefined
          ? `the checkpoint covers entries to ${checkpoint.position} only`
          : checkpoint.state === 'none'
            ? 'there is no checkpoint'
            : 'the checkpoint is unreadable';
      const message = `retention dropped log entries 1 to ${first - 1}, and ${held}: restore a backup (gswarm backup)`;
      return { ok: false, records: 0, damage: { message }, checkpoint: checkpoint.state };
    }
    const records = trimmed
      ? await replayLog(new Db({}, checkpoint.store), log, first - 1, logPath, {
          readOnlyThrough: checkpoint.position,
        })
      : await replayLog(new Db(), log, 0, logPath);
    if (checkpoint.position > records) {
      const message = `the checkpoint covers entry ${checkpoint.position} but the log ends at entry ${records}`;
      return {
        ok: false,
        records,
        damage: { message, recover: recoverCommand(dir, records) },
        checkpoint: 'past the end of the log',
      };
    }
    return { ok: true, records, checkpoint: checkpoint.state };
  } catch (error) {
    if (!(error instanceof GswarmError && error.code === 'GSW_ERR_LOG_CORRUPT')) throw error;
    const { position, lastGood } = error.data as { position: number; lastGood: number };
    return {
      ok: false,
      records: lastGood,
      damage: { message: error.message, position, recover: recoverCommand(dir, lastGood) },
      checkpoint: checkpoint.state,
    };
  } finally {
    await log.close();
  }
}

function recoverCommand(dir: string, keep: number): string {
  return `gswarm recover --data ${dir} --truncate-after ${keep}`;
}

async function checkpointState(
  path: string,
): Promise<{ state: VerifyReport['checkpoint']; position: number; store?: DatomStore }> {
  try {
    const checkpoint = await readCheckpoint(path);
    return checkpoint
      ? { state: 'ok', position: checkpoint.logPosition, store: DatomStore.fromImage(checkpoint.image) }
      : { state: 'none', position: 0 };
  } catch (error) {
    if (!(error instanceof GswarmError)) throw error;
    return { state: 'unreadable (it will be ignored and the log replayed)', position: 0 };
  }
}

export function formatVerifyReport(report: VerifyReport): string {
  const lines = [`entries: ${report.records} read and applied`, `checkpoint: ${report.checkpoint}`];
  if (report.damage) {
    lines.push(`damage: ${report.damage.message}`);
    if (report.damage.recover) lines.push(`to keep entries 1 to ${report.records}: ${report.damage.recover}`);
  }
  lines.push(report.ok ? 'ok' : 'DAMAGED (see docs/recovery.md)');
  return lines.join('\n');
}
