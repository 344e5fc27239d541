/**
 * Sketches across shards, on a real JetStream: two nodes of a three-shard cluster, in this
 * process, answer distinct and hot markets for the whole cluster by merging every shard's sketch.
 * Differential: each answer equals the embedded store's on the same ticks (registers by max and
 * counters by sum give exactly the sketch of the union), as of the latest tx and as of an earlier
 * one, on either node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterSwarm } from '../../src/cluster/cluster-swarm.js';
import { shardOf } from '../../src/cluster/shard-map.js';
import { Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';
import { seeded } from '../store/support.js';
import { startMarketNodes } from './market-nodes.js';
import { NatsCluster } from './nats-cluster.js';

const shards = 3;
const minute = 60_000;

/** Two batches of ticks over 30 markets and three minutes, with skewed counts and volumes. */
function batches(seed: number) {
  const random = seeded(seed);
  const markets = Array.from({ length: 30 }, (_, i) => ({ id: `MKT-${i}` }));
  let n = 0;
  const ticks = (count: number) =>
    Array.from({ length: count }, () => {
      const market = markets[Math.floor(random() ** 2 * markets.length)]!.id;
      return {
        id: `T-${n++}`,
        market,
        price: 100,
        volume: 1 + Math.floor(random() * 50),
        ts: Math.floor(random() * 3 * minute),
      };
    });
  return [{ markets, ticks: ticks(400) }, { ticks: ticks(600) }];
}

let nats: NatsCluster;
let nodes: ClusterSwarm[];
let embedded: Swarm;
let embeddedFirst: Swarm;
let firstTx: number;

before(async () => {
  nats = await NatsCluster.start();
  nodes = await startMarketNodes(nats, 'sketches', ['a', 'b'], shards);
  embedded = await Swarm.open({ storage: storage.memory() });
  embeddedFirst = await Swarm.open({ storage: storage.memory() });
  const [first, second] = batches(7);
  const spread = new Set(first!.markets!.map((m) => shardOf(m.id, shards)));
  assert.equal(spread.size, shards, 'the markets fall in every shard');
  firstTx = (await nodes[0]!.ingest(first!)).tx;
  await nodes[1]!.ingest(second!);
  await embedded.ingest(first!);
  await embedded.ingest(second!);
  await embeddedFirst.ingest(first!);
});

after(async () => {
  for (const node of nodes ?? []) await node.close();
  await embedded?.close();
  await embeddedFirst?.close();
  await nats?.close();
});

describe('sketches across the shards of a cluster', () => {
  it('count distinct markets as one sketch of every tick would, now and as of an earlier tx', async () => {
    for (const node of nodes) {
      for (const window of [{}, { from: minute, to: 2 * minute }]) {
        const answer = await node.sketches.distinct('tick/market', window);
        const expected = embedded.sketches.distinct('tick/market', window);
        assert.equal(answer.estimate, expected.estimate);
        assert.equal(answer.relativeStandardError, expected.relativeStandardError);
        assert.deepEqual([answer.from, answer.to], [expected.from, expected.to]);
      }
      const asOf = await node.sketches.distinct('tick/market', { asOf: firstTx });
      assert.equal(asOf.basisTx, firstTx);
      assert.equal(asOf.estimate, embeddedFirst.sketches.distinct('tick/market').estimate);
    }
  });

  it('rank the hottest markets by ticks and by volume as one sketch would, with the bound over every shard', async () => {
    for (const node of nodes) {
      const byTicks = await node.sketches.hot('ticks', 10);
      const expected = embedded.sketches.hot('ticks', 10);
      assert.deepEqual(byTicks.markets, expected.markets);
      assert.equal(byTicks.total, 1000, 'N counts the ticks of every shard');
      assert.equal(byTicks.errorBound, expected.errorBound);

      const byVolume = await node.sketches.hot('volume', 5, { from: 0, to: 2 * minute });
      const expectedVolume = embedded.sketches.hot('volume', 5, { from: 0, to: 2 * minute });
      assert.deepEqual(
        byVolume.markets.map((m) => m.market),
        expectedVolume.markets.map((m) => m.market),
      );
      assert.equal(byVolume.total, expectedVolume.total, 'volumes are whole numbers: sums are exact');

      const asOf = await node.sketches.hot('ticks', 30, { asOf: firstTx });
      assert.deepEqual(asOf.markets, embeddedFirst.sketches.hot('ticks', 30).markets);
      assert.equal(asOf.total, 400);
    }
  });
});
