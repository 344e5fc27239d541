/**
 * Reopen time: a persistent store closed cleanly (close writes a checkpoint) is reopened in a
 * fresh process — `Swarm.open` on the same directory until the first answers (`count('tick/id')`
 * and the latest tick of one market) are back.
 */
import { runWorker } from './lib/child.js';
import { storedSwarm } from './lib/stored.js';
import type { Row, Suite } from './lib/suite.js';
import { fmt, median } from './lib/timing.js';
import type { ReopenResult } from './workers/store.js';

const targetMs = 1000;
const reopens = 3;

export const reopen: Suite = {
  name: 'reopen',
  title: 'Reopen (checkpoint + log tail) until the first query is answered',
  async run(ctx) {
    const rows: Row[] = [];
    for (const full of [1_000_000, 10_000_000]) {
      const ticks = ctx.scaled(full, 1000);
      const { dir } = await storedSwarm(ctx, ticks);
      const times: number[] = [];
      for (let i = 0; i < reopens; i++) {
        const result = await runWorker<ReopenResult>('store', ['reopen', dir]);
        if (result.ticks !== ticks) throw new Error(`reopened ${result.ticks} ticks, expected ${ticks}`);
        times.push(result.reopenMs);
      }
      ctx.log(`  reopen ${ticks.toLocaleString('en-US')} ticks: ${times.map((t) => fmt(t)).join(', ')} ms`);
      const ms = median(times);
      // The target is for 10M ticks; at other sizes it is scaled linearly, for reference.
      const target = (targetMs * ticks) / 10_000_000;
      rows.push({
        metric: `reopen, ${ticks.toLocaleString('en-US')} ticks (median of ${reopens})`,
        gswarm: `${fmt(ms)} ms`,
        target: full === 10_000_000 ? `≤ ${fmt(target)} ms` : undefined,
        met: full === 10_000_000 ? ms <= target : undefined,
      });
    }
    return rows;
  },
};
