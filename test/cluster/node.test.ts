/**
 * Cluster nodes on a real 3-server JetStream cluster, in this process: every shard gets one
 * leader all nodes agree on; a write at a leader reaches every replica; when a leader stops
 * abruptly a survivor takes its shards, writes there succeed, and nothing durable is lost. A node
 * with a data directory restarts from its checkpoints, replaying only the streams' tails.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { ClusterNode } from '../../src/cluster/node.js';
import { JetStreamLog, streamName } from '../../src/log/jetstream-log.js';
import { connectNats } from '../../src/log/nats-connection.js';
import { marketSchema } from '../../src/market/schema.js';
import { readCheckpoint } from '../../src/store/checkpoint.js';
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

async function startNode(cluster: string, node: string, server: number, data?: string): Promise<ClusterNode> {
  return ClusterNode.start({
    nats: { servers: [nats.url(server)] },
    cluster,
    node,
    shards,
    schema: marketSchema,
    data,
  });
}

/** `state`: what to report beside `what` if it never comes. */
async function until<T>(what: string, probe: () => T | undefined, state?: () => unknown): Promise<T> {
  const deadline = Date.now() + hangGuardMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      assert.fail(`gave up waiting: ${what}${state ? `; state: ${JSON.stringify(state())}` : ''}`);
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
    const leader = await until(
      `a leader of shard ${shard}`,
      () => agreedLeader(nodes, shard),
      () => nodes.map((node) => ({ node: node.id, ...node.status()[shard] })),
    );
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

  it('restart a node with a data directory from its checkpoints, replaying only the tail, and refuse a directory of another stream', async () => {
    const cluster = 'nodes2';
    const data = mkdtempSync(join(tmpdir(), 'gswarm-node-data-'));
    const nc = await connectNats({ servers: [nats.url(0)] });
    const stream = streamName(cluster, 0);
    let persistent = await startNode(cluster, 'a', 0, data);
    const other = await startNode(cluster, 'b', 1);
    try {
      for (const id of ['m1', 'm2', 'm3'])
        await transactWhenLeading([persistent, other], 0, [{ 'market/id': id }]);
      const jsm = await jetstreamManager(nc);
      const lastBefore = (await jsm.streams.info(stream)).state.last_seq;
      await until('node a applies the whole stream', () =>
        persistent.replica(0).position >= lastBefore ? true : undefined,
      );
      const { epoch: epochBefore, leader: leaderBefore } = persistent.status()[0]!;
      await persistent.close();
      // The epoch records are about to be purged: the checkpoint must say who led.
      const checkpoint = await readCheckpoint(join(data, 'shard-0', 'checkpoint'));
      assert.equal(checkpoint?.logPosition, lastBefore);
      assert.deepEqual(checkpoint?.epoch, { epoch: epochBefore, node: leaderBefore, shard: 0 });

      // Drop the stream's head: a replica replaying from the start can no longer open.
      await jsm.streams.purge(stream, { seq: lastBefore + 1 });
      await assert.rejects(startNode(cluster, 'c', 2), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'GSW_ERR_LOG_CORRUPT');
        return true;
      });
      await transactWhenLeading([other], 0, [{ 'market/id': 'm4' }]);

      persistent = await startNode(cluster, 'a', 0, data);
      const nodes = [persistent, other];
      await until('node a has the market written while it was down', () =>
        (persistent.replica(0).q(marketIds) as string[]).includes('m4') ? true : undefined,
      );
      assert.deepEqual((persistent.replica(0).q(marketIds) as string[]).sort(), ['m1', 'm2', 'm3', 'm4']);
      const { leader, report } = await transactWhenLeading(nodes, 0, [{ 'market/id': 'm5' }]);
      assert.ok(leader.status()[0]!.epoch >= epochBefore, 'epochs never go back');
      await until('both replicas apply m5', () =>
        nodes.every((n) => n.replica(0).basisTx >= report.tx) ? true : undefined,
      );
      assert.deepEqual(persistent.replica(0).q(marketIds), other.replica(0).q(marketIds));

      // The stream made again under its name: the directory's checkpoints are of another stream.
      await persistent.close();
      await other.close();
      await jsm.streams.delete(stream);
      await assert.rejects(startNode(cluster, 'a', 0, data), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'GSW_ERR_CLUSTER_MISMATCH');
        assert.match(
          (error as Error).message,
          /shard-0 holds a replica of stream GSWARM_nodes2_0 created .*remove the directory/,
        );
        return true;
      });
    } finally {
      await persistent.close();
      await other.close();
      await nc.close();
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('step a leader down when its appends cannot be acknowledged, and lead again once they can', async () => {
    // One node, one shard, its NATS server cut off from the other two: no quorum, so an append
    // times out. A leader that went on heartbeating with a failed write path would hold the shard
    // forever; it must step down, reopen, and take the shard back when the stream is whole again.
    // The stream is made here with three copies: a node makes it with as many as the servers its
    // connection has heard of, which may still be one.
    const admin = await connectNats({ servers: [nats.url(0)] });
    await (await JetStreamLog.open({ nats: admin, cluster: 'nodes3', shard: 0, replicas: 3 })).close();
    await admin.close();
    const node = await ClusterNode.start({
      nats: { servers: [nats.url(0)] },
      cluster: 'nodes3',
      node: 'solo',
      shards: 1,
      schema: marketSchema,
    });
    try {
      await transactWhenLeading([node], 0, [{ 'market/id': 'before' }]);
      await nats.pause(1);
      await nats.pause(2);
      try {
        await assert.rejects(node.transact(0, [{ 'market/id': 'during' }]), (error: unknown) => {
          assert.equal((error as { code?: string }).code, 'GSW_ERR_NOT_LEADER');
          assert.match((error as Error).message, /resending it is safe/);
          return true;
        });
      } finally {
        nats.resume(1);
        nats.resume(2);
      }
      const { report } = await transactWhenLeading([node], 0, [{ 'market/id': 'after' }]);
      assert.ok(report.tx > 0);
      const ids = node.replica(0).q(marketIds) as string[];
      assert.ok(ids.includes('before') && ids.includes('after'), `markets: ${ids}`);
    } finally {
      await node.close();
    }
  });
});
