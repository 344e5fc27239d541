/** The log contract (./contract.ts) on every TxLog: memory, LMDB. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { LmdbLog } from '../../src/log/lmdb-log.js';
import { MemoryLog } from '../../src/log/memory-log.js';
import { logContract } from './contract.js';

logContract('memory', async () => {
  const log = new MemoryLog(64 * 1024);
  // Other writers of a memory log share the object; closing one closes it.
  return { log, another: async () => log };
});

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

logContract('LMDB', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'gswarm-log-')), 'log.mdb');
  dirs.push(path);
  return { log: new LmdbLog(path, 64 * 1024), another: async () => new LmdbLog(path, 64 * 1024) };
});
