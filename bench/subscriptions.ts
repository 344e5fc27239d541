/**
 * Subscription maintenance: 100 live subscriptions on a store already holding ticks, then txs of
 * 100 ticks each; the figure is the time the connection spends bringing all 100 results up to
 * date after each tx (timed around its internal update step), and the ingest time per tx with and
 * without the subscriptions. 80 of them are conjunctive (maintained from the tx's datoms), 20 are
 * aggregates (re-run whole and diffed). Memory storage, so the disk does not hide the cost.
 */
import type { TxReport } from '../src/db/db.js';
import { storage } from '../src/index.js';
import { Swarm } from '../src/market/swarm.js';
import type { JsonQuery } from './lib/datascript.js';
import type { Suite } from './lib/suite.js';
import { marketId, marketRows, TickStream } from './lib/ticks.js';
import { fmt, median, now, percentile } from './lib/timing.js';

const marketCount = 500;
const txTicks = 100;
const measuredTxs = 200;

interface LiveQuery {
  query: JsonQuery;
  inputs: unknown[];
  kind: 'conjunctive' | 'aggregate';
}

function subscriptionQueries(): LiveQuery[] {
  const out: LiveQuery[] = [];
  for (let k = 0; k < 50; k++) {
    out.push({
      kind: 'conjunctive',
      query: {
        find: ['?tid', '?p'],
        in: ['$', '?mid'],
        where: [
          ['?m', 'market/id', '?mid'],
          ['?t', 'tick/market', '?m'],
          ['?t', 'tick/price', '?p'],
          [['>', '?p', 0.8]],
          ['?t', 'tick/id', '?tid'],
        ],
      },
      inputs: [marketId(k)],
    });
  }
  for (let k = 0; k < 30; k++) {
    out.push({
      kind: 'conjunctive',
      query: {
        find: ['?tid', '?v'],
        where: [
          ['?m', 'market/id', marketId(100 + k)],
          ['?t', 'tick/market', '?m'],
          ['?t', 'tick/volume', '?v'],
          [['>', '?v', 990]],
          ['?t', 'tick/id', '?tid'],
        ],
      },
      inputs: [],
    });
  }
  for (let k = 0; k < 20; k++) {
    out.push({
      kind: 'aggregate',
      query: {
        find: ['?mid', ['max', '?p'], ['count', '?t']],
        in: ['$', '?mid'],
        where: [
          ['?m', 'market/id', '?mid'],
          ['?t', 'tick/market', '?m'],
          ['?t', 'tick/price', '?p'],
        ],
      },
      inputs: [marketId(200 + k)],
    });
  }
  return out;
}

export const subscriptions: Suite = {
  name: 'subscriptions',
  title: 'Subscription maintenance per tx, 100 live subscriptions',
  async run(ctx) {
    const preload = ctx.scaled(100_000, 1000);
    const swarm = await Swarm.open({ storage: storage.memory() });
    const conn = swarm.conn;
    await swarm.ingest({ markets: marketRows(marketCount) });
    const stream = new TickStream(marketCount, 3);
    while (stream.produced < preload) await swarm.ingest({ ticks: stream.batch(1000) });
    ctx.log(`subscriptions: ${preload.toLocaleString('en-US')} ticks stored, then txs of ${txTicks} ticks`);

    const ingestTimes = async (txs: number) => {
      const times: number[] = [];
      for (let i = 0; i < txs; i++) {
        const batch = stream.batch(txTicks);
        const start = now();
        await swarm.ingest({ ticks: batch });
        times.push(now() - start);
      }
      return times;
    };
    await ingestTimes(20);
    const without = await ingestTimes(measuredTxs);

    // Time the connection's update step (a Connection internal) around every durable tx.
    const internals = conn as unknown as { updateSubscriptions(report: TxReport): void };
    const update = internals.updateSubscriptions.bind(conn);
    const maintenance: number[] = [];
    internals.updateSubscriptions = (report) => {
      const start = now();
      update(report);
      maintenance.push(now() - start);
    };

    const queries = subscriptionQueries();
    let changes = 0;
    const first = new Map<string, unknown[]>();
    const unsubscribe = queries.map(({ query, inputs }, i) =>
      conn.subscribe(
        query,
        (change) => {
          changes++;
          if (i !== 0) return;
          for (const row of change.removed) first.delete(JSON.stringify(row));
          for (const row of change.added) first.set(JSON.stringify(row), row);
        },
        ...inputs,
      ),
    );
    await ingestTimes(20);
    maintenance.length = 0;
    changes = 0;
    const withSubs = await ingestTimes(measuredTxs);
    const measured = Float64Array.from(maintenance).sort();

    // The first subscription's accumulated result equals the query re-run now.
    const rerun = conn.view.q(queries[0]!.query, ...queries[0]!.inputs) as unknown[][];
    if (rerun.length !== first.size || rerun.some((row) => !first.has(JSON.stringify(row)))) {
      throw new Error('subscription result differs from the query re-run');
    }

    // The same with the 80 conjunctive subscriptions only.
    for (const stop of unsubscribe.slice(80)) stop();
    maintenance.length = 0;
    await ingestTimes(measuredTxs / 2);
    const conjunctiveOnly = median(maintenance);
    for (const stop of unsubscribe.slice(0, 80)) stop();
    await swarm.close();

    const ms = (x: number) => `${fmt(x)} ms`;
    const p50 = percentile(measured, 0.5);
    ctx.log(
      `  maintenance per tx: p50 ${ms(p50)}, p99 ${ms(percentile(measured, 0.99))}; ${changes} changes delivered`,
    );
    return [
      {
        metric: 'maintenance per tx, 100 subscriptions, p50 / p99',
        gswarm: `${ms(p50)} / ${ms(percentile(measured, 0.99))}`,
      },
      {
        metric: 'maintenance per tx per subscription, p50',
        gswarm: `${fmt((p50 * 1000) / queries.length)} µs`,
      },
      { metric: 'maintenance per tx, the 80 conjunctive only, p50', gswarm: ms(conjunctiveOnly) },
      {
        metric: `ingest of ${txTicks} ticks per tx, without / with the subscriptions, median`,
        gswarm: `${ms(median(without))} / ${ms(median(withSubs))}`,
      },
      { metric: `changes delivered over ${measuredTxs} txs`, gswarm: String(changes) },
    ];
  },
};
