/**
 * Runs a bench worker in a fresh Node process (`node --expose-gc --import tsx`), so memory and
 * start-up figures are not disturbed by the parent. The worker prints one JSON line last.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `env`: variables set for the worker beside this process's own. */
export async function runWorker<T>(
  worker: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<T> {
  const script = fileURLToPath(new URL(`../workers/${worker}.ts`, import.meta.url));
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=12288', '--import', 'tsx', script, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench worker ${worker} ${args.join(' ')} exited with ${code}`);
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

/** Memory now, after a full GC when the process runs with --expose-gc. */
export function memoryNow(): { rss: number; heap: number; gc: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers, gc: gc !== undefined };
}
