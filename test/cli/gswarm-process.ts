/** Runs the `gswarm` command from source as a child process, as a user would run it. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const nodeArgs = ['--import', 'tsx', main];

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code, or the signal that ended the process. */
  exited: Promise<number | string>;
}

/**
 * Starts `gswarm serve` on a free port and waits for its 'listening' log line. `entry` replaces
 * the source run through tsx (a benchmark runs the compiled CLI).
 */
export async function startServe(
  args: string[],
  env: Record<string, string> = {},
  entry: readonly string[] = nodeArgs,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...entry, 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  // Every line is read, before and after 'listening', so the server never blocks on a full pipe.
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'listening' && entry.url) resolve(entry.url);
    });
    void exited.then((end) => reject(new Error(`gswarm serve exited before listening (${end})`)));
  });
  return { url, child, exited };
}

/** Runs a gswarm command to completion (killed after `timeout` ms, if given). */
export async function gswarm(
  args: string[],
  env: Record<string, string> = {},
  options: { timeout?: number } = {},
) {
  return promisify(execFile)(process.execPath, [...nodeArgs, ...args], {
    env: { ...process.env, ...env },
    timeout: options.timeout,
  });
}
