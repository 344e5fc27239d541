/**
 * An exclusive lock on a data directory, so that two servers never open one store (the second
 * would serve stale reads and be fenced on its first write). The lock is a file `lock` holding the
 * owner's pid, made atomically: the pid is written to a private file which is then hard-linked to
 * `lock` (link fails if `lock` exists), so a lock file is never seen empty.
 *
 * A lock whose process is gone (kill -9, power loss) is stale and taken over. A lock naming this
 * process's own pid but not held by it is stale too: in a container the server is often pid 1 on
 * every start. Two processes taking over one stale lock at the same instant is not excluded; the
 * loser then fails on its first write (GSW_ERR_FENCED) rather than forking the log.
 */
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';

const held = new Set<string>();
const attemptsMax = 3;

/** Takes the lock on `dir` (which exists); returns the function that releases it. */
export function lockDirectory(dir: string): () => void {
  const key = realpathSync(dir);
  const path = join(dir, 'lock');
  if (held.has(key)) refuse(dir, path, process.pid);
  for (let attempt = 1; ; attempt++) {
    if (tryCreate(path)) break;
    const holder = holderOf(path);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) refuse(dir, path, holder);
    if (attempt === attemptsMax) refuse(dir, path, holder);
    rmSync(path, { force: true });
  }
  held.add(key);
  return () => {
    if (!held.delete(key)) return;
    if (holderOf(path) === process.pid) rmSync(path, { force: true });
  };
}

function refuse(dir: string, path: string, pid: number | undefined): never {
  fail(
    'GSW_ERR_LOCKED',
    `data directory ${dir} is in use by process ${pid ?? '(unknown)'}${pid === process.pid ? ' (this process)' : ''}: ` +
      `stop it first; if that process is not Gswarm, remove ${path}`,
    { dir, pid },
  );
}

function tryCreate(path: string): boolean {
  const mine = `${path}.${process.pid}.tmp`;
  const fd = openSync(mine, 'w');
  try {
    writeSync(fd, `${process.pid}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(mine, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(mine, { force: true });
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
