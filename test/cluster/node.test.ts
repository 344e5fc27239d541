/**
 * Cluster nodes on a real 3-server JetStream cluster, in this process: every shard gets one
 * leader all nodes agree on; a write at a leader reaches every replica; when a leader stops
 * abruptly a survivor takes its shards, writes there succeed, and nothing durable is lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterNode } from '../../src/cluster/node.js';
import { marketSchema } from '../../src/market/schema.js';
import { NatsCluster } from './nats-cluster.js';

const shards = 3;
const hangGuardMs = 60_000;
const marketIds = '[:find [?id ...] :where [_ :market/id ?id]]';

let nats: NatsCluster;
before(async () => {
  nats = await NatsCluster.start();
});
after(async () => {
  await nats?.close();
});

async function startNode(cluster: string, node: string, server: number): Promise<ClusterNode> {
  return ClusterNode.start({
    nats: { servers: [nats.url(server)] },
    cluster,
    node,
    shards,
    schema: marketSchema,
  });
}

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + hangGuardMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`gave up waiting: ${what}`);
    await sleep(20);
  }
}

/** The leader of `shard` if every node agrees on one (and it says it writes), else undefined. */
function agreedLeader(nodes: ClusterNode[], shard: number): ClusterNode | undefined {
  const leaders = new Set(nodes.map((n) => n.status()[shard]!.leader));
  if (leaders.size !== 1) return undefined;
  const leader = nodes.find((n) => n.id === [...leaders][0]);
  return leader !== undefined && leader.status()[shard]!.role === 'leader' ? leader : undefined;
}

async function transactWhenLeading(nodes: ClusterNode[], shard: number, txData: unknown) {
  for (;;) {
    const leader = await until(`a leader of shard ${shard}`, () => agreedLeader(nodes, shard));
    try {
      return { leader, report: await leader.transact(shard, txData) };
    } catch (error) {
      // The schema may still be in flight, or leadership moving: ask again.
      if ((error as { code?: string }).code !== 'GSW_ERR_NOT_LEADER') throw error;
      await sleep(20);
    }
  }
}

describe('cluster nodes on JetStream', { timeout: 4 * hangGuardMs }, () => {
  it('elect one leader per shard, replicate writes, fail over when a leader stops, and refuse another shard count', async () => {
    const cluster = 'nodes1';
    const nodes = [
      await startNode(cluster, 'a', 0),
      await startNode(cluster, 'b', 1),
      await startNode(cluster, 'c', 2),
    ];
    try {
      const { leader, report } = await transactWhenLeading(nodes, 0, [{ 'market/id': 'before' }]);
      for (const node of nodes) {
        await until(`node ${node.id} applies tx ${report.tx}`, () =>
          node.replica(0).basisTx >= report.tx ? true : undefined,
        );
        assert.deepEqual(node.replica(0).q(marketIds), ['before']);
      }
      const asOfBefore = leader.replica(0).asOf(report.tx).q(marketIds);

      await leader.close();
      const survivors = nodes.filter((n) => n !== leader);
      const after = await transactWhenLeading(survivors, 0, [{ 'market/id': 'after' }]);
      assert.notEqual(after.leader.id, leader.id);
      for (const node of survivors) {
        await until(`node ${node.id} applies tx ${after.report.tx}`, () =>
          node.replica(0).basisTx >= after.report.tx ? true : undefined,
        );
        assert.deepEqual((node.replica(0).q(marketIds) as string[]).sort(), ['after', 'before']);
        assert.deepEqual(node.replica(0).asOf(report.tx).q(marketIds), asOfBefore);
      }
      for (let shard = 0; shard < shards; shard++)
        await until(`a leader of shard ${shard} among survivors`, () => agreedLeader(survivors, shard));
      await assert.rejects(
        ClusterNode.start({
          nats: { servers: [nats.url(0)] },
          cluster,
          node: 'd',
          shards: shards + 1,
          schema: marketSchema,
        }),
        (error: unknown) =>
          (error as { code?: string }).code === 'GSW_ERR_CLUSTER_MISMATCH' &&
          /created with 3 shards; this node was started with 4/.test((error as Error).message),
      );
    } finally {
      for (const node of nodes) await node.close();
    }
  });
});
