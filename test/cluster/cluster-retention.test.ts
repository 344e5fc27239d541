/**
 * Retention in a cluster, on a real JetStream: two nodes of a two-shard cluster, in this process,
 * both pruning to a small window. A prune is a record in the shard's stream, so both replicas of a
 * shard prune at the same position and hold the same datoms; candles (the kept candles of pruned
 * ticks merged with the ticks held) equal a store that never pruned; reads before a shard's
 * horizon are refused on either node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterSwarm } from '../../src/cluster/cluster-swarm.js';
import type { GswarmError } from '../../src/errors.js';
import { candleIntervalsMs } from '../../src/market/candles.js';
import { Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';
import { startMarketNodes } from './market-nodes.js';
import { NatsCluster } from './nats-cluster.js';

const shards = 2;
const markets = Array.from({ length: 8 }, (_, i) => ({ id: `M-${i}` }));

let nats: NatsCluster;
let nodes: ClusterSwarm[];
let whole: Swarm;
let firstTx: number;

before(async () => {
  nats = await NatsCluster.start();
  nodes = await startMarketNodes(nats, 'retention', ['a', 'b'], shards);
  whole = await Swarm.open({ storage: storage.memory() });
  await whole.ingest({ markets });
  firstTx = (await nodes[0]!.ingest({ markets })).tx;
  for (const node of nodes) node.retain({ retainTicks: 200, summaryWidthMs: 60_000 });
  for (let b = 0; b < 12; b++) {
    const ticks = Array.from({ length: 100 }, (_, i) => ({
      id: `T-${b}-${i}`,
      market: markets[(i * 7 + b) % markets.length]!.id,
      price: 100 + ((i * 13) % 17),
      volume: 1 + (i % 5),
      ts: b * 20_000 + i * 150,
    }));
    await nodes[b % 2]!.ingest({ ticks });
    await whole.ingest({ ticks });
  }
  // Every shard pruned, and both nodes' replicas at the same position.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const replicas = nodes.map((n) => Array.from({ length: shards }, (_, s) => n.node.replica(s)));
    const pruned = replicas.flat().every((r) => r.horizonTx > 0);
    const same = Array.from(
      { length: shards },
      (_, s) => replicas[0]![s]!.position === replicas[1]![s]!.position,
    );
    if (pruned && same.every(Boolean)) {
      await Promise.all(replicas.flat().map((r) => r.compacted()));
      break;
    }
    assert.ok(Date.now() < deadline, 'every shard is pruned on both nodes within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

after(async () => {
  for (const node of nodes ?? []) await node.close();
  await whole?.close();
  await nats?.close();
});

describe('retention in a cluster', () => {
  it('prunes every replica of a shard at the same position to the same datoms', () => {
    for (let s = 0; s < shards; s++) {
      const [a, b] = nodes.map((n) => n.node.replica(s));
      assert.equal(a!.horizonTx, b!.horizonTx, `shard ${s}: one horizon`);
      assert.deepEqual(a!.datoms('eavt'), b!.datoms('eavt'), `shard ${s}: the same datoms`);
      assert.ok(a!.count('tick/id') <= 200 + 100 + 100, `shard ${s}: about the window is kept`);
    }
  });

  it('answers candles as a store that never pruned, on either node', () => {
    for (const node of nodes) {
      for (const { id } of markets) {
        for (const ms of [candleIntervalsMs['1m'], candleIntervalsMs['1h']]) {
          assert.deepEqual(node.candles(id, ms), whole.candles(id, ms), `${id} at ${ms} ms`);
        }
      }
    }
  });

  it('refuses reads before a horizon with 410, naming it', () => {
    for (const node of nodes) {
      assert.throws(
        () => node.ticks(markets[0]!.id, { asOf: firstTx }),
        (e: GswarmError) => e.code === 'GSW_ERR_GONE' && typeof e.data.horizonTx === 'number',
      );
    }
  });
});
