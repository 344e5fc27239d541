/**
 * Retention under a steady ingest: 100k ticks/s (batches of 1,000, up to 4 in flight, durable)
 * for 10 minutes, keeping a window of the latest 6M ticks (a minute of ingest), in a fresh
 * process. Gswarm prunes with its pruner (`--retain 6000000ticks`); the peer is SQLite deleting
 * the ticks behind the window once a second. Memory (after a full GC) and bytes on disk are
 * sampled 20 times: past the first windows they should stay flat.
 */
import { runWorker } from './lib/child.js';
import type { Suite } from './lib/suite.js';
import { fmt, ratio } from './lib/timing.js';
import { removeDir, tempDir } from './lib/tmp.js';
import type { RetentionResult, RetentionSample } from './workers/retention.js';

const rate = 100_000;
/** Growth allowed from the middle third of the run to the last for "flat". */
const flatFactor = 1.1;

export const retention: Suite = {
  name: 'retention',
  title: 'Retention: memory and disk under a steady ingest with a sliding window',
  peer: 'SQLite (DELETE behind the window every second)',
  async run(ctx) {
    const seconds = ctx.scaled(600, 10);
    const windowTicks = ctx.scaled(6_000_000, 10_000);
    const results: Record<string, RetentionResult> = {};
    for (const peer of ['gswarm', 'sqlite']) {
      const dir = tempDir(`retention-${peer}`);
      try {
        ctx.log(
          `  ${peer}: ${rate.toLocaleString('en-US')} ticks/s for ${seconds} s, window ${windowTicks.toLocaleString('en-US')} ticks`,
        );
        results[peer] = await runWorker<RetentionResult>('retention', [
          peer,
          dir,
          String(rate),
          String(seconds),
          String(windowTicks),
        ]);
      } finally {
        removeDir(dir);
      }
    }
    const g = results.gswarm!;
    const s = results.sqlite!;
    for (const sample of g.samples) {
      ctx.log(
        `  gswarm at ${fmt(sample.atS)} s: ${sample.ticks.toLocaleString('en-US')} ticks, heap ${fmt(sample.heapBytes / 2 ** 20)} MiB, disk ${fmt(sample.diskBytes / 2 ** 20)} MiB, loop stall ≤ ${fmt(sample.stallMsMax)} ms`,
      );
    }
    // Each prune builds a second store beside the first and each checkpoint a second file, so
    // both figures saw-tooth; flat means the peaks of the last third are no higher than those of
    // the middle third.
    const third = (r: RetentionResult, k: number) =>
      r.samples.filter((x) => x.atS >= (k * r.seconds) / 3 && x.atS < ((k + 1) * r.seconds) / 3);
    const peak = (r: RetentionResult, k: number, pick: (x: RetentionSample) => number) =>
      Math.max(...third(r, k).map(pick));
    const heap = (x: RetentionSample) => x.heapBytes;
    const disk = (x: RetentionSample) => x.diskBytes;
    const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;
    const peaks = (r: RetentionResult, pick: (x: RetentionSample) => number) =>
      `${mib(peak(r, 1, pick))} → ${mib(peak(r, 2, pick))}`;
    const flat = (r: RetentionResult, pick: (x: RetentionSample) => number) =>
      peak(r, 2, pick) <= flatFactor * peak(r, 1, pick);
    const rateOf = (r: RetentionResult) => r.ticks / r.seconds;
    return [
      {
        metric: 'ticks ingested per second (target rate 100k)',
        gswarm: fmt(rateOf(g)),
        peer: fmt(rateOf(s)),
        ratio: ratio(rateOf(g) / rateOf(s)),
      },
      {
        metric: 'heap + array buffers, peak of the middle → last third',
        gswarm: peaks(g, heap),
        target: `flat (≤ ${flatFactor}x)`,
        met: flat(g, heap),
      },
      {
        metric: 'on disk, peak of the middle → last third',
        gswarm: peaks(g, disk),
        peer: peaks(s, disk),
        ratio: ratio(peak(s, 2, disk) / peak(g, 2, disk)),
        target: `flat (≤ ${flatFactor}x)`,
        met: flat(g, disk),
      },
      {
        metric: 'longest event-loop stall while pruning',
        gswarm: `${fmt(Math.max(...g.samples.map((x) => x.stallMsMax)))} ms`,
      },
    ];
  },
};
