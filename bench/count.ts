/**
 * `count('tick/id')` as of a tx: Gswarm's count timeline (a binary search) against SQLite's
 * `count(*) WHERE tx <= ?` over an index on tx (a scan of the index range).
 */
import { loadedStores } from './lib/fixture.js';
import { below, seeded } from './lib/prng.js';
import type { Row, Suite } from './lib/suite.js';
import { fmt, microsPerOp, ratio } from './lib/timing.js';

const lookups = 10_000;
const sqliteLookups = 50;
const targetMicros = 1;

export const count: Suite = {
  name: 'count',
  title: "count('tick/id') as of a random tx",
  peer: 'SQLite, count(*) WHERE tx <= ? over an index on tx',
  async run(ctx) {
    const { swarm, sqlite, txs } = await loadedStores(ctx);
    const random = seeded(11);
    const batches = Array.from({ length: lookups }, () => 1 + below(random, txs.length));
    const asOf = batches.map((b) => txs[b - 1]!);
    const select = sqlite.prepare('SELECT count(*) AS n FROM ticks WHERE tx <= ?').pluck();
    const conn = swarm.conn;

    for (let i = 0; i < 20; i++) {
      const ours = conn.asOf(asOf[i]!).count('tick/id');
      const theirs = select.get(batches[i]) as number;
      if (ours !== theirs) throw new Error(`count as of batch ${batches[i]} differs: ${ours} vs ${theirs}`);
    }

    let sink = 0;
    const view = microsPerOp(() => {
      for (const tx of asOf) sink += conn.asOf(tx).count('tick/id');
    }, lookups);
    const api = microsPerOp(() => {
      for (const tx of asOf) sink += swarm.count('tick/id', tx).count;
    }, lookups);
    const peer = microsPerOp(
      () => {
        for (let i = 0; i < sqliteLookups; i++) sink += select.get(batches[i]) as number;
      },
      sqliteLookups,
      3,
    );
    if (Number.isNaN(sink)) throw new Error('unreachable');
    ctx.log(`  count: view ${fmt(view)} µs, swarm.count ${fmt(api)} µs, sqlite ${fmt(peer)} µs`);
    const row = (metric: string, us: number): Row => ({
      metric,
      gswarm: `${fmt(us)} µs`,
      peer: `${fmt(peer)} µs`,
      ratio: ratio(peer / us),
      target: `≤ ${targetMicros} µs`,
      met: us <= targetMicros,
    });
    return [row("conn.asOf(tx).count('tick/id')", view), row("swarm.count('tick/id', tx)", api)];
  },
};
