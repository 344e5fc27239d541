/**
 * Reflex latency: ticks ingested in batches of 100 with 1,000 reflexes registered (10 price bands
 * on each of 100 markets); for every alert, the time from its tx becoming durable to the
 * `swarm.onAlert` callback.
 *
 * Durability is timestamped with performance.now() when the log append resolves (the log is
 * wrapped, a Swarm internal): `alert.durableAtMs` is the tx's instant (taken before the commit),
 * whole milliseconds, and
 * `conn.listen` listeners run after the Swarm's own alert dispatch, so neither can time a
 * sub-millisecond path. Both public figures are reported beside it.
 */
import { storage } from '../src/index.js';
import { type Alert, Swarm } from '../src/market/swarm.js';
import type { Suite } from './lib/suite.js';
import { marketId, marketRows, TickStream } from './lib/ticks.js';
import { fmt, now, percentile } from './lib/timing.js';
import { tempDir } from './lib/tmp.js';

const markets = 100;
const reflexesPerMarket = 10;
const batchSize = 100;
const targetP99Ms = 1;

type Append = (records: readonly Uint8Array[], options: { expectedLast: number }) => Promise<number>;

export const reflex: Suite = {
  name: 'reflex',
  title: 'Reflex latency: durable tx to alert callback',
  async run(ctx) {
    const ticks = ctx.scaled(10_000, batchSize);
    const swarm = await Swarm.open({ storage: storage.persistent(tempDir('reflex')) });
    await swarm.ingest({ markets: marketRows(markets) });
    const puts: Promise<unknown>[] = [];
    for (let m = 0; m < markets; m++) {
      for (let j = 0; j < reflexesPerMarket; j++) {
        const band = j < 5 ? { above: 0.5 + 0.08 * j } : { below: 0.5 - 0.08 * (j - 5) };
        puts.push(swarm.putReflex({ id: `r${m}-${j}`, market: marketId(m), ...band }));
      }
    }
    await Promise.all(puts);
    ctx.log(`reflex: ${swarm.reflexes().length} reflexes, ${ticks.toLocaleString('en-US')} ticks`);

    // Timestamp durability where it happens: when the log append resolves.
    const log = (swarm.conn as unknown as { log: { append: Append } }).log;
    const append = log.append.bind(log);
    let durableAt = 0;
    log.append = async (records, options) => {
      const position = await append(records, options);
      durableAt = now();
      return position;
    };

    const fromDurable: number[] = [];
    const fromDurableWallMs: number[] = [];
    const fromIngest: number[] = [];
    let ingestStartedAt = 0;
    const alerts: Alert[] = [];
    swarm.onAlert((alert) => {
      const at = now();
      fromDurable.push(at - durableAt);
      fromDurableWallMs.push(Date.now() - alert.durableAtMs);
      fromIngest.push(at - ingestStartedAt);
      alerts.push(alert);
    });

    const stream = new TickStream(markets, 5);
    for (const batch of stream.batches(ticks, batchSize)) {
      ingestStartedAt = now();
      await swarm.ingest({ ticks: batch });
    }
    const stored = swarm.alerts().length;
    await swarm.close();
    if (alerts.length === 0) throw new Error('no alert fired');
    if (stored !== alerts.length) throw new Error(`${alerts.length} alerts delivered, ${stored} stored`);

    const sorted = (xs: number[]) => Float64Array.from(xs).sort();
    const d = sorted(fromDurable);
    const w = sorted(fromDurableWallMs);
    const e = sorted(fromIngest);
    const ms = (x: number) => `${fmt(x)} ms`;
    ctx.log(
      `  ${alerts.length} alerts; durable→callback p50 ${ms(percentile(d, 0.5))} p99 ${ms(percentile(d, 0.99))}`,
    );
    return [
      { metric: 'alerts delivered (= alerts stored)', gswarm: String(alerts.length) },
      { metric: 'durable → onAlert callback, p50 (performance.now)', gswarm: ms(percentile(d, 0.5)) },
      {
        metric: 'durable → onAlert callback, p99 (performance.now)',
        gswarm: ms(percentile(d, 0.99)),
        target: `≤ ${targetP99Ms} ms`,
        met: percentile(d, 0.99) <= targetP99Ms,
      },
      { metric: 'durable → onAlert callback, max', gswarm: ms(d[d.length - 1]!) },
      {
        metric: 'Date.now() − alert.durableAtMs (tx instant, commit included), p50 / p99 (1 ms)',
        gswarm: `${ms(percentile(w, 0.5))} / ${ms(percentile(w, 0.99))}`,
      },
      {
        metric: 'ingest call → onAlert callback (incl. sync), p50 / p99',
        gswarm: `${ms(percentile(e, 0.5))} / ${ms(percentile(e, 0.99))}`,
      },
    ];
  },
};
