/**
 * `gswarm serve` in a child process, so the server and the benchmark's client do not share an
 * event loop, on a free port over a fresh data directory; stopped with SIGTERM (the server
 * drains and exits 0).
 *
 * The server is the code of this checkout compiled as the package is built (`tsc -p
 * tsconfig.build.json`, once per run, into a temp dir whose node_modules links to the project's),
 * then `node <build>/cli/main.js serve`: what `gswarm serve` runs from a built package. The
 * checkout's dist/ may be older than src/, and running the source through tsx would add esbuild's
 * keep-names wrapper to every closure made at run time (`__name`, up to a quarter of the time of
 * `pull`). BENCH_SERVER_FROM_SOURCE=1 runs `node --import tsx src/cli/main.ts serve` instead.
 * With BENCH_CPU_PROF=<dir>, the server runs under `--cpu-prof` and writes its profile there on exit.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from './tmp.js';

export interface ServerChild {
  url: string;
  dataDir: string;
  /** Sends SIGTERM and waits for the exit (the server drains, closes the store and exits 0). */
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
let built: Promise<string> | undefined;

/** The server's entry point: the compiled CLI (built on first use), or the source through tsx. */
export function serverEntry(): Promise<string[]> {
  if (process.env.BENCH_SERVER_FROM_SOURCE)
    return Promise.resolve(['--import', 'tsx', join(root, 'src/cli/main.ts')]);
  built ??= (async () => {
    const dir = tempDir('build');
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const args = ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')];
    // Type errors elsewhere in the checkout do not stop the emit; the server is checked by starting it.
    await promisify(execFile)(process.execPath, [
      tsc,
      ...args,
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ]).catch(() => undefined);
    return join(dir, 'dist/cli/main.js');
  })();
  return built.then((main) => [main]);
}

export async function startServer(
  options: { args?: readonly string[]; label?: string } = {},
): Promise<ServerChild> {
  const dataDir = tempDir(`serve-${options.label ?? 'http'}`);
  const profileDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      ...(await serverEntry()),
      'serve',
      '--port',
      '0',
      '--data',
      dataDir,
      '--log-level',
      'info',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await listeningUrl(child, exited);
  return {
    url,
    dataDir,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`gswarm serve exited with ${code}`);
    },
  };
}

/** Calls `onLine` with each complete line a child writes to stdout. */
export function eachStdoutLine(child: ChildProcess, onLine: (line: string) => void): void {
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
}

/** The URL of the server's pino `listening` line on stdout. */
function listeningUrl(child: ChildProcess, exited: Promise<number | null>): Promise<string> {
  return new Promise((resolve, reject) => {
    eachStdoutLine(child, (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string; level?: number };
        if (entry.msg === 'listening' && entry.url) resolve(entry.url);
        else if ((entry.level ?? 0) >= 40) process.stderr.write(`  server: ${line}\n`);
      } catch {
        process.stderr.write(`  server: ${line}\n`);
      }
    });
    void exited.then((code) => reject(new Error(`gswarm serve exited with ${code} before listening`)));
  });
}

/** The samples of a Prometheus counter or gauge from the server's /metrics, by label text. */
export async function metricSamples(url: string, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(name.length, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** Ingest batches refused with 503 so far (backpressure: commit latency or a full queue). */
export async function overloadRefusals(url: string): Promise<number> {
  const samples = await metricSamples(url, 'gswarm_ingest_rejections_total');
  let total = 0;
  for (const [labels, value] of samples) {
    if (labels.includes('commit_latency') || labels.includes('queue_full')) total += value;
  }
  return total;
}
