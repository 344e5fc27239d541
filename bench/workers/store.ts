/**
 * Worker for the reopen and memory suites, run in a fresh process with --expose-gc:
 *   store.ts build <dir> <ticks>   ingest ticks (4 batches of 1,000 in flight), then close
 *                                  (close writes a checkpoint); reports memory per tick and the
 *                                  event loop's longest pause while ingesting
 *   store.ts reopen <dir>          Swarm.open until the first answers; reports time and memory
 *   store.ts sqlite <dir> <ticks>  the same ticks into SQLite as the ingest suite stores them
 *                                  (bench/lib/sqlite.ts), then close; reports its bytes on disk
 * Prints one JSON line.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { storage } from '../../src/index.js';
import { Swarm } from '../../src/market/swarm.js';
import { memoryNow } from '../lib/child.js';
import { batchSize, marketCount } from '../lib/fixture.js';
import { inFlight } from '../lib/pool.js';
import { insertMarkets, openSqlite, tickInserter } from '../lib/sqlite.js';
import { marketId, marketRows, TickStream } from '../lib/ticks.js';
import { now } from '../lib/timing.js';

export interface BuildResult {
  ticks: number;
  ingestMs: number;
  /** The event loop's longest delay while ingesting (a synchronous step, or GC), ms. */
  pauseMsMax: number;
  closeMs: number;
  rssDelta: number;
  heapDelta: number;
  rss: number;
  diskBytes: number;
  gc: boolean;
}

export interface SqliteResult {
  ticks: number;
  ingestMs: number;
  /** The database and its WAL after a checkpoint and close (close removes the WAL). */
  diskBytes: number;
}

export interface ReopenResult {
  ticks: number;
  reopenMs: number;
  rssDelta: number;
  heapDelta: number;
  rss: number;
  gc: boolean;
}

const [mode, dir, n] = process.argv.slice(2);

if (mode === 'build') {
  const ticks = Number(n);
  const before = memoryNow();
  const swarm = await Swarm.open({ storage: storage.persistent(dir!) });
  await swarm.ingest({ markets: marketRows(marketCount) });
  const stream = new TickStream(marketCount);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const start = now();
  const batches = Math.ceil(ticks / batchSize);
  await inFlight(batches, 4, () =>
    swarm.ingest({ ticks: stream.batch(Math.min(batchSize, ticks - stream.produced)) }),
  );
  const ingestMs = now() - start;
  delay.disable();
  const stored = swarm.count('tick/id').count;
  if (stored !== ticks) throw new Error(`stored ${stored} ticks, expected ${ticks}`);
  const after = memoryNow();
  const closeStart = now();
  await swarm.close();
  const result: BuildResult = {
    ticks,
    ingestMs,
    pauseMsMax: delay.max / 1e6,
    closeMs: now() - closeStart,
    rssDelta: after.rss - before.rss,
    heapDelta: after.heap - before.heap,
    rss: after.rss,
    diskBytes: diskBytes(dir!),
    gc: after.gc,
  };
  console.log(JSON.stringify(result));
} else if (mode === 'reopen') {
  const before = memoryNow();
  const start = now();
  const swarm = await Swarm.open({ storage: storage.persistent(dir!) });
  const ticks = swarm.count('tick/id').count;
  const answer = swarm.latest({ markets: [marketId(0)] }).markets[marketId(0)];
  const reopenMs = now() - start;
  if (answer === undefined) throw new Error('no latest tick after reopen');
  const after = memoryNow();
  await swarm.close();
  const result: ReopenResult = {
    ticks,
    reopenMs,
    rssDelta: after.rss - before.rss,
    heapDelta: after.heap - before.heap,
    rss: after.rss,
    gc: after.gc,
  };
  console.log(JSON.stringify(result));
} else if (mode === 'sqlite') {
  const ticks = Number(n);
  const db = openSqlite(dir!);
  insertMarkets(db, marketRows(marketCount));
  const insert = tickInserter(db);
  const stream = new TickStream(marketCount);
  const start = now();
  for (let tx = 1; stream.produced < ticks; tx++)
    insert(stream.batch(Math.min(batchSize, ticks - stream.produced)), tx);
  const ingestMs = now() - start;
  const stored = (db.prepare('SELECT count(*) AS n FROM ticks').get() as { n: number }).n;
  if (stored !== ticks) throw new Error(`stored ${stored} ticks in SQLite, expected ${ticks}`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const result: SqliteResult = { ticks, ingestMs, diskBytes: diskBytes(dir!) };
  console.log(JSON.stringify(result));
} else {
  throw new Error('usage: store.ts build <dir> <ticks> | reopen <dir> | sqlite <dir> <ticks>');
}

function diskBytes(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + diskBytes(join(path, name)), 0);
}
