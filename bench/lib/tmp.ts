/** Temporary directories, removed when the process exits (unless BENCH_KEEP is set). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `gswarm-bench-${label}-`));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      if (!process.env.BENCH_KEEP) for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
