/**
 * Memory per stored tick after 10M ticks, measured in worker processes run with --expose-gc
 * (after a full GC): the growth of RSS and of heapUsed + arrayBuffers from just before the store
 * was opened, divided by the ticks, once after ingesting them and once after a reopen. Bytes on
 * disk per tick are set beside SQLite's for the same ticks, stored as the ingest suite stores them.
 */
import { runWorker } from './lib/child.js';
import { storedSwarm } from './lib/stored.js';
import type { Row, Suite } from './lib/suite.js';
import { fmt, ratio } from './lib/timing.js';
import { tempDir } from './lib/tmp.js';
import type { ReopenResult, SqliteResult } from './workers/store.js';

const targetBytes = 100;

export const memory: Suite = {
  name: 'memory',
  title: 'Memory per stored tick (worker process, after global.gc())',
  peer: "SQLite (better-sqlite3, WAL, the ingest suite's schema and index), for bytes on disk only",
  async run(ctx) {
    const ticks = ctx.scaled(10_000_000, 1000);
    const { dir, build } = await storedSwarm(ctx, ticks);
    const reopened = await runWorker<ReopenResult>('store', ['reopen', dir]);
    ctx.log(`storing the same ${ticks.toLocaleString('en-US')} ticks in SQLite in a worker`);
    const sqlite = await runWorker<SqliteResult>('store', ['sqlite', tempDir('sqlite'), String(ticks)]);
    ctx.log(
      `  stored in ${(sqlite.ingestMs / 1000).toFixed(1)} s, ${fmt(sqlite.diskBytes / ticks)} B/tick on disk`,
    );
    if (!build.gc || !reopened.gc) ctx.log('  warning: workers ran without --expose-gc');
    const per = (bytes: number) => bytes / ticks;
    const n = ticks.toLocaleString('en-US');
    const row = (metric: string, bytes: number, target: boolean): Row => ({
      metric,
      gswarm: `${fmt(per(bytes))} B/tick`,
      target: target ? `≤ ${targetBytes} B/tick` : undefined,
      met: target ? per(bytes) <= targetBytes : undefined,
    });
    ctx.log(
      `  memory after ingest: rss +${fmt(build.rssDelta / 2 ** 20)} MiB, heap+arrayBuffers +${fmt(build.heapDelta / 2 ** 20)} MiB`,
    );
    ctx.log(
      `  memory after reopen: rss +${fmt(reopened.rssDelta / 2 ** 20)} MiB, heap+arrayBuffers +${fmt(reopened.heapDelta / 2 ** 20)} MiB`,
    );
    return [
      row(`RSS growth / tick after ingesting ${n}`, build.rssDelta, true),
      row(`heapUsed+arrayBuffers growth / tick after ingesting ${n}`, build.heapDelta, true),
      row(`RSS growth / tick after reopening ${n}`, reopened.rssDelta, true),
      row(`heapUsed+arrayBuffers growth / tick after reopening ${n}`, reopened.heapDelta, true),
      {
        ...row(`on disk (log + checkpoint; SQLite: db + WAL) / tick, ${n}`, build.diskBytes, false),
        peer: `${fmt(per(sqlite.diskBytes))} B/tick`,
        ratio: ratio(sqlite.diskBytes / build.diskBytes),
      },
    ];
  },
};
