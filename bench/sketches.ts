/**
 * Sketches (src/market/sketches): the cost of keeping them per tick, beside the cost of ingesting
 * that tick, and the latency of a 1-hour window answer (distinct markets; hot markets by ticks and
 * by volume), live and as of a past tx (the snapshot-and-replay path).
 *
 * Ticks over 500 markets have event times spread over two hours; the store is in memory, so the
 * ingest figure is CPU only (no disk sync) and the ratio is the sketches' share at its highest.
 * The update cost is measured on a BucketedSketches fed the same ticks, apart from the store.
 */
import { storage } from '../src/index.js';
import { BucketedSketches } from '../src/market/sketches/bucketed.js';
import { Swarm, type TickRow } from '../src/market/swarm.js';
import { batchSize, marketCount } from './lib/fixture.js';
import type { Row, Suite } from './lib/suite.js';
import { marketRows, TickStream, tsBase } from './lib/ticks.js';
import { fmt, medianMs, now } from './lib/timing.js';

const hourMs = 3_600_000;
const updateShareMax = 0.05;
const answerMsMax = 1;

export const sketches: Suite = {
  name: 'sketches',
  title: 'Sketch update cost per tick, and 1-hour window answers',
  async run(ctx) {
    const count = ctx.scaled(1_000_000, batchSize);
    const spreadMs = (2 * hourMs) / count;
    const stream = new TickStream(marketCount);
    const batches: TickRow[][] = [];
    while (stream.produced < count) {
      const first = stream.produced;
      batches.push(
        stream
          .batch(Math.min(batchSize, count - first))
          .map((t, k) => ({ ...t, ts: tsBase + Math.floor((first + k) * spreadMs) })),
      );
    }
    ctx.log(`sketches: ${count.toLocaleString('en-US')} ticks over 2 h of event time`);

    const swarm = await Swarm.open({ storage: storage.memory() });
    await swarm.ingest({ markets: marketRows(marketCount) });
    const txs: number[] = [];
    let start = now();
    for (const ticks of batches) txs.push((await swarm.ingest({ ticks })).tx);
    const ingestUs = ((now() - start) * 1000) / count;

    const alone = new BucketedSketches();
    const keys = new Map<string, number>();
    const keyOf = (market: string) => {
      let key = keys.get(market);
      if (key === undefined) keys.set(market, (key = alone.keys.intern(market)));
      return key;
    };
    start = now();
    batches.forEach((ticks, b) => {
      for (const t of ticks) alone.add(txs[b]!, t.ts, keyOf(t.market), t.volume);
    });
    const updateUs = ((now() - start) * 1000) / count;
    ctx.log(`  ingest ${fmt(ingestUs)} µs/tick, sketch update ${fmt(updateUs)} µs/tick`);

    const window = { from: tsBase + hourMs / 2, to: tsBase + (3 * hourMs) / 2 };
    const pastTx = txs[Math.floor((txs.length * 3) / 4)]!;
    const latency = (asOf: number | undefined) => ({
      distinct: medianMs(() => swarm.sketches.distinct('tick/market', { ...window, asOf })).ms,
      ticks: medianMs(() => swarm.sketches.hot('ticks', 10, { ...window, asOf })).ms,
      volume: medianMs(() => swarm.sketches.hot('volume', 10, { ...window, asOf })).ms,
    });
    const live = latency(undefined);
    const past = latency(pastTx);
    await swarm.close();

    const answerRows = (when: string, ms: ReturnType<typeof latency>): Row[] =>
      (['distinct', 'ticks', 'volume'] as const).map((kind) => ({
        metric: `1-hour window, ${kind === 'distinct' ? 'distinct markets' : `hot by ${kind}`}, ${when}`,
        gswarm: `${fmt(ms[kind])} ms`,
        target: `< ${answerMsMax} ms`,
        met: ms[kind] < answerMsMax,
      }));
    return [
      { metric: 'ingest per tick (memory store, sketches on)', gswarm: `${fmt(ingestUs)} µs` },
      {
        metric: 'sketch update per tick, share of ingest',
        gswarm: `${fmt(updateUs)} µs (${fmt((100 * updateUs) / ingestUs)}%)`,
        target: `< ${100 * updateShareMax}%`,
        met: updateUs / ingestUs < updateShareMax,
      },
      ...answerRows('live', live),
      ...answerRows('as of a past tx', past),
    ];
  },
};
