/**
 * Memory per stored tick after 10M ticks, measured in worker processes run with --expose-gc
 * (after a full GC): the growth of RSS and of heapUsed + arrayBuffers from just before the store
 * was opened, divided by the ticks, once after ingesting them and once after a reopen.
 */
import { runWorker } from './lib/child.js';
import { storedSwarm } from './lib/stored.js';
import type { Row, Suite } from './lib/suite.js';
import { fmt } from './lib/timing.js';
import type { ReopenResult } from './workers/store.js';

const targetBytes = 100;

export const memory: Suite = {
  name: 'memory',
  title: 'Memory per stored tick (worker process, after global.gc())',
  async run(ctx) {
    const ticks = ctx.scaled(10_000_000, 1000);
    const { dir, build } = await storedSwarm(ctx, ticks);
    const reopened = await runWorker<ReopenResult>('store', ['reopen', dir]);
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
      row(`on disk (log + checkpoint) / tick, ${n}`, build.diskBytes, false),
    ];
  },
};
