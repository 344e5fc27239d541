/**
 * Runs the benchmark suites and prints their figures beside the peer measured in the same run.
 *
 *   npm run bench                          every suite at full size
 *   npm run bench -- ingest latest         only those suites
 *   npm run bench -- --scale 0.1           every size multiplied by 0.1, for a quick run
 */
import { cpus, totalmem } from 'node:os';
import { clusterIngest } from './cluster-ingest.js';
import { count } from './count.js';
import { failover } from './failover.js';
import { foundingHttp } from './founding-http.js';
import { httpIngest } from './http-ingest.js';
import { ingest } from './ingest.js';
import { latest } from './latest.js';
import { closeStores } from './lib/fixture.js';
import type { Context, Row, Suite } from './lib/suite.js';
import { memory } from './memory.js';
import { query } from './query.js';
import { reflex } from './reflex.js';
import { reopen } from './reopen.js';
import { retention } from './retention.js';
import { sketches } from './sketches.js';
import { subscriptions } from './subscriptions.js';

const suites: Suite[] = [
  ingest,
  latest,
  count,
  reopen,
  memory,
  retention,
  query,
  reflex,
  subscriptions,
  sketches,
  foundingHttp,
  httpIngest,
  failover,
  clusterIngest,
];

function parseArgs(argv: readonly string[]): { scale: number; names: string[] } {
  let scale = 1;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--scale') scale = Number(argv[++i]);
    else if (arg.startsWith('--scale=')) scale = Number(arg.slice('--scale='.length));
    else if (arg === '--help' || arg === '-h') {
      console.log(`usage: npm run bench -- [--scale x] [${suites.map((s) => s.name).join(' ')}]`);
      process.exit(0);
    } else names.push(arg);
  }
  if (!(scale > 0)) throw new Error('--scale must be a positive number');
  const unknown = names.filter((n) => !suites.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown suite(s) ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ')}`);
  }
  return { scale, names };
}

function table(rows: readonly Row[]): string {
  const header = ['metric', 'gswarm', 'peer', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [
    r.metric,
    r.gswarm,
    r.peer ?? '',
    r.ratio ?? '',
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

const { scale, names } = parseArgs(process.argv.slice(2));
const chosen = names.length === 0 ? suites : suites.filter((s) => names.includes(s.name));
const ctx: Context = {
  scale,
  scaled: (n, min = 1) => Math.max(min, Math.round(n * scale)),
  log: (line) => process.stderr.write(`${line}\n`),
};

const cpu = cpus();
console.log('# Gswarm benchmarks');
console.log(`date: ${new Date().toISOString()}`);
console.log(
  `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
    `${process.platform} ${process.arch}, node ${process.version}`,
);
console.log(`scale: ${scale}${scale === 1 ? ' (full size)' : ''}`);
const args = [...(scale === 1 ? [] : ['--scale', String(scale)]), ...names];
console.log(`command: npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`);

const failures: string[] = [];
for (const suite of chosen) {
  ctx.log(`\n[${suite.name}] ${suite.title}`);
  const started = performance.now();
  try {
    const rows = await suite.run(ctx);
    console.log(`\n## ${suite.name}: ${suite.title}`);
    if (suite.peer) console.log(`peer: ${suite.peer}`);
    console.log(table(rows));
    ctx.log(`[${suite.name}] done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failures.push(suite.name);
    console.log(`\n## ${suite.name}: FAILED`);
    console.log((error as Error).stack ?? String(error));
  }
}
await closeStores();
if (failures.length > 0) {
  console.log(`\nfailed suites: ${failures.join(', ')}`);
  process.exitCode = 1;
}
