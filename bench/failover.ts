/**
 * Failover: three `gswarm serve --nats` nodes (the compiled CLI) over a three-server JetStream
 * cluster, 3 shards, 12 markets spread over them. Each round kills -9 the node leading the most
 * shards and times, from the kill, until a batch with one tick for every market is acknowledged
 * by a survivor (sent to the survivors in turn, each refusal retried after 5 ms); then the node
 * is started again and the cluster settles before the next round.
 *
 * A whole node's death (its gswarm and the NATS server it talks to, killed together) is timed the
 * same way. The peer is NATS itself: a plain R3 stream whose leading server is killed, timed
 * until a publish to it is acknowledged again — what a system built straight on JetStream waits.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { GswarmCluster, hangGuardMs } from '../test/cluster/gswarm-cluster.js';
import { NatsCluster } from '../test/cluster/nats-cluster.js';
import { serverEntry } from './lib/server.js';
import type { Context, Row, Suite } from './lib/suite.js';
import { fmt, median, now, percentile } from './lib/timing.js';

const markets = Array.from({ length: 12 }, (_, i) => ({ id: `FAIL-${i}` }));
const targetP99Ms = 300;
const floorMs = 500;
const retryMs = 5;

export const failover: Suite = {
  name: 'failover',
  title: 'Failover: kill -9 of the busiest leader until a batch over every market is acknowledged',
  peer: 'NATS JetStream stream leader re-election (R3, leading server killed)',
  async run(ctx: Context): Promise<Row[]> {
    const rounds = ctx.scaled(20, 3);
    const nodeRounds = ctx.scaled(3, 1);
    const processMs = await timeFailovers(ctx, rounds, false);
    const wholeNodeMs = await timeFailovers(ctx, nodeRounds, true);
    const natsMs = await timeNatsStreamFailovers(ctx, nodeRounds);
    const sorted = [...processMs].sort((x, y) => x - y);
    const p99 = percentile(sorted, 0.99);
    const natsMedian = median(natsMs);
    return [
      { metric: `process killed, p50 of ${rounds}`, gswarm: `${fmt(percentile(sorted, 0.5))} ms` },
      {
        metric: `process killed, p99 of ${rounds}`,
        gswarm: `${fmt(p99)} ms`,
        peer: `${fmt(natsMedian)} ms (median of ${natsMs.length})`,
        ratio: `${fmt(natsMedian / p99)}x`,
        target: `≤ ${targetP99Ms} ms (floor ${floorMs})`,
        met: p99 <= targetP99Ms,
      },
      { metric: `process killed, max of ${rounds}`, gswarm: `${fmt(sorted.at(-1)!)} ms` },
      {
        metric: `whole node (gswarm + its NATS server) killed, median of ${wholeNodeMs.length}`,
        gswarm: `${fmt(median(wholeNodeMs))} ms (max ${fmt(Math.max(...wholeNodeMs))})`,
        peer: `${fmt(natsMedian)} ms`,
        ratio: `${fmt(natsMedian / median(wholeNodeMs))}x`,
      },
    ];
  },
};

/** Failover times (ms) over `rounds` kills; with `wholeNode`, the node's NATS server dies too. */
async function timeFailovers(ctx: Context, rounds: number, wholeNode: boolean): Promise<number[]> {
  const cluster = await GswarmCluster.start({ colocated: wholeNode, entry: await serverEntry() });
  const times: number[] = [];
  try {
    await acknowledged(cluster, cluster.running(), { markets });
    for (let round = 0; round < rounds; round++) {
      const victim = await cluster.leaderOfMost();
      const survivors = cluster.running().filter((i) => i !== victim);
      const ticks = markets.map((m, k) => ({
        id: `R${round}-${k}`,
        market: m.id,
        price: 1,
        volume: 1,
        ts: round,
      }));
      const killed = now();
      await Promise.all([cluster.kill(victim), wholeNode ? cluster.nats.kill(victim) : undefined]);
      await acknowledged(cluster, survivors, { ticks });
      times.push(now() - killed);
      ctx.log(`${wholeNode ? 'node' : 'process'} failover ${round + 1}/${rounds}: ${fmt(times.at(-1)!)} ms`);
      if (wholeNode) await cluster.nats.restart(victim);
      await cluster.startNode(victim);
      await cluster.settled();
    }
  } finally {
    await cluster.close();
  }
  return times;
}

/** Sends `body` to `nodes` in turn until one acknowledges it (a minute at most). */
async function acknowledged(cluster: GswarmCluster, nodes: number[], body: unknown): Promise<void> {
  const deadline = Date.now() + hangGuardMs;
  for (let attempt = 0; ; attempt++) {
    if (Date.now() > deadline) assert.fail(`no survivor acknowledged a batch within ${hangGuardMs} ms`);
    const url = cluster.url(nodes[attempt % nodes.length]!);
    const response = await fetch(`${url}/v2/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    if (response?.status === 202) return;
    if (response !== undefined && response.status !== 503) assert.fail(await response.text());
    await sleep(retryMs);
  }
}

/** NATS's own failover: kill the server leading an R3 stream, time until a publish is acked. */
async function timeNatsStreamFailovers(ctx: Context, rounds: number): Promise<number[]> {
  const nats = await NatsCluster.start();
  const times: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const client = await connect({ servers: nats.urls, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
      const jsm = await jetstreamManager(client);
      const stream = `PEER_${round}`;
      await jsm.streams.add({ name: stream, subjects: [`peer.${round}`], num_replicas: 3 });
      const js = jetstream(client);
      await js.publish(`peer.${round}`, 'first');
      const leader = (await jsm.streams.info(stream)).cluster?.leader;
      const victim = Number(leader?.slice(1)) - 1;
      const killed = now();
      await nats.kill(victim);
      for (;;) {
        const acked = await js.publish(`peer.${round}`, 'after', { timeout: 1000 }).catch(() => undefined);
        if (acked) break;
        await sleep(retryMs);
      }
      times.push(now() - killed);
      ctx.log(`NATS stream failover ${round + 1}/${rounds}: ${fmt(times.at(-1)!)} ms`);
      await client.close();
      await nats.restart(victim);
    }
  } finally {
    await nats.close();
  }
  return times;
}
