/**
 * Cluster ingest over loopback HTTP: three `gswarm serve --nats` nodes (the compiled CLI) over a
 * three-server JetStream cluster, 3 shards with R3 streams, against the embedded single process
 * (`gswarm serve` on LMDB) in the same run with the same ticks.
 *
 * 200,000 ticks over 500 markets (the seeded stream of bench/lib/ticks.ts) in JSON batches of
 * 1,000, 12 in flight, sent to the nodes in turn (the embedded server gets them all); a batch
 * counts when its 202 (sent once every shard's part is durable) arrives; a 503 is retried. Both
 * sides are checked to hold exactly N ticks afterwards.
 *
 * Everything runs on this machine's two cores: three gswarm processes, three NATS servers and the
 * client share them, so the figure says what one machine gives, not what three would.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { GswarmCluster } from '../test/cluster/gswarm-cluster.js';
import { inFlight } from './lib/pool.js';
import { serverEntry, startServer } from './lib/server.js';
import type { Context, Row, Suite } from './lib/suite.js';
import { marketRows, TickStream } from './lib/ticks.js';
import { fmt, now } from './lib/timing.js';

const marketCount = 500;
const batchTicks = 1000;
const concurrency = 12;
const floorRate = 10_000;
const targetRate = 100_000;

export const clusterIngest: Suite = {
  name: 'cluster-ingest',
  title: 'Cluster ingest: 3 nodes, 3 shards, R3, JSON batches of 1,000 sent to every node',
  peer: 'the embedded single process (gswarm serve on LMDB), same ticks',
  async run(ctx: Context): Promise<Row[]> {
    const total = ctx.scaled(200_000, 10_000);
    const bodies = encode(total);
    const embedded = await startServer({ label: 'cluster-ingest' });
    let embeddedRate: number;
    try {
      embeddedRate = await ingestAll(ctx, 'embedded', [embedded.url], bodies, total);
    } finally {
      await embedded.stop();
    }
    const cluster = await GswarmCluster.start({ entry: await serverEntry() });
    let clusterRate: number;
    try {
      clusterRate = await ingestAll(
        ctx,
        'cluster',
        cluster.running().map((i) => cluster.url(i)),
        bodies,
        total,
      );
    } finally {
      await cluster.close();
    }
    return [
      {
        metric: `ticks/s, ${fmt(total)} ticks`,
        gswarm: fmt(clusterRate),
        peer: fmt(embeddedRate),
        ratio: `${fmt(clusterRate / embeddedRate)}x`,
        target: `≥ ${fmt(targetRate)} (floor ${fmt(floorRate)})`,
        met: clusterRate >= targetRate,
      },
    ];
  },
};

interface Bodies {
  markets: string;
  batches: string[];
}

function encode(total: number): Bodies {
  const stream = new TickStream(marketCount);
  const batches: string[] = [];
  while (stream.produced < total)
    batches.push(JSON.stringify({ ticks: stream.batch(Math.min(batchTicks, total - stream.produced)) }));
  return { markets: JSON.stringify({ markets: marketRows(marketCount) }), batches };
}

/** Ingests every batch through `urls` in turn; returns ticks per second. */
async function ingestAll(
  ctx: Context,
  label: string,
  urls: string[],
  bodies: Bodies,
  total: number,
): Promise<number> {
  await post(urls[0]!, bodies.markets);
  const start = now();
  await inFlight(bodies.batches.length, concurrency, (i) => post(urls[i % urls.length]!, bodies.batches[i]!));
  const seconds = (now() - start) / 1000;
  const count = (await (await fetch(`${urls[0]}/v2/count/tick%2Fid`)).json()) as { count: number };
  assert.equal(count.count, total, `${label} holds every tick`);
  ctx.log(`${label}: ${fmt(total)} ticks in ${fmt(seconds)} s`);
  return total / seconds;
}

async function post(url: string, body: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${url}/v2/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    if (response.status === 202) return;
    assert.equal(response.status, 503, await response.text());
    await sleep(Number(response.headers.get('retry-after') ?? 0) * 1000 || 10);
  }
}
