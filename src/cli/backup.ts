/**
 * `gswarm backup DIR`: a consistent copy of a store's directory, taken while a server keeps
 * ingesting into it. The checkpoint is copied first, then LMDB copies the log in one read
 * transaction; the log copied reaches at least as far as the checkpoint, so opening the copy
 * replays the log's tail after it and answers as the store did when the log copy began.
 */

import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LmdbLog } from '../log/lmdb-log.js';

export async function backupStore(dataDir: string, destDir: string): Promise<{ entries: number }> {
  const logPath = join(dataDir, 'log.mdb');
  if (!existsSync(logPath)) throw new Error(`${dataDir} holds no Gswarm store (no log.mdb)`);
  await mkdir(destDir, { recursive: true });
  if ((await readdir(destDir)).length > 0) throw new Error(`${destDir} is not empty`);
  // A checkpoint is replaced by rename, so the copy reads one whole file, old or new.
  await copyFile(join(dataDir, 'checkpoint'), join(destDir, 'checkpoint')).catch((error) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  });
  const log = new LmdbLog(logPath);
  try {
    await log.backup(join(destDir, 'log.mdb'));
  } finally {
    await log.close();
  }
  const copy = new LmdbLog(join(destDir, 'log.mdb'));
  try {
    return { entries: await copy.last() };
  } finally {
    await copy.close();
  }
}
