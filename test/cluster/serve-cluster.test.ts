/**
 * Three `gswarm serve --nats` nodes over a real three-server JetStream cluster, as child
 * processes. Correctness, not timing: under ingest, the node leading the most shards is killed
 * (-9) and restarted as a follower, round after round; every acknowledged tick must then be on
 * every node, every as-of answer read before a kill must be read identically on every node after
 * it, and each shard's stream must hold one history (epochs one after another, tx ids rising).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamLog } from '../../src/log/jetstream-log.js';
import { decodeLogRecord } from '../../src/log/log-record.js';
import { connectNats } from '../../src/log/nats-connection.js';
import { GswarmCluster } from './gswarm-cluster.js';
import { IngestLoad, markets, post, tickIdsAt } from './ingest-load.js';

const rounds = 3;

describe('a three-node cluster under ingest, its busiest leader killed -9 and restarted', () => {
  let cluster: GswarmCluster;
  before(async () => {
    cluster = await GswarmCluster.start({ nodes: 3, shards: 3 });
    const created = await post(cluster.url(0), '/v2/ingest', { markets });
    assert.equal(created.status, 202);
  });
  after(async () => {
    await cluster?.close();
  });

  it('loses no acknowledged tick, keeps every as-of answer, and keeps one history per shard', async () => {
    const load = new IngestLoad();
    const answered: { tx: number; body: unknown }[] = [];
    for (let round = 0; round < rounds; round++) {
      const victim = await cluster.leaderOfMost();
      const survivors = cluster.running().filter((i) => i !== victim);
      // Ingest through the survivors while the victim dies.
      const running = load.run(() => survivors.map((i) => cluster.url(i)));
      await load.acknowledged(load.count + 5);
      const tx = load.lastTx;
      answered.push({ tx, body: await asOfEverywhere(cluster, tx) });
      await cluster.kill(victim);
      await load.acknowledged(load.count + 10);
      load.stop();
      await running;
      await cluster.startNode(victim);
      await cluster.settled();
    }
    assert.ok(load.ids.size > 0);
    const everywhere = await tickIdsAt(cluster.url(0));
    for (const i of cluster.running()) {
      const stored = await tickIdsAt(cluster.url(i));
      assert.deepEqual(stored, everywhere, `node n${i + 1} holds the same ticks as n1`);
      const missing = [...load.ids].filter((id) => !stored.has(id));
      assert.deepEqual(missing, [], `node n${i + 1} holds every acknowledged tick`);
      for (const { tx, body } of answered)
        assert.deepEqual(
          await asOf(cluster.url(i), tx),
          body,
          `node n${i + 1} answers as of ${tx} as before`,
        );
    }
    await assertOneHistoryPerShard(cluster);
  });
});

/** The as-of answer at every running node, which must be one and the same. */
async function asOfEverywhere(cluster: GswarmCluster, tx: number): Promise<unknown> {
  const bodies = await Promise.all(cluster.running().map((i) => asOf(cluster.url(i), tx)));
  for (const body of bodies.slice(1))
    assert.deepEqual(body, bodies[0], `every node answers as of ${tx} alike`);
  return bodies[0];
}

async function asOf(url: string, tx: number): Promise<unknown> {
  for (;;) {
    const response = await fetch(`${url}/v2/query/as_of/${tx}`);
    if (response.status === 200) return response.json();
    // A read waits for its shards' leaders; during a failover it may be told to retry.
    assert.equal(response.status, 503, await response.text());
    await sleep(50);
  }
}

/** Each shard's stream: epoch records 1, 2, 3, … in order, and tx ids rising throughout. */
async function assertOneHistoryPerShard(cluster: GswarmCluster): Promise<void> {
  const nats = await connectNats({ servers: cluster.nats.urls });
  try {
    for (let shard = 0; shard < cluster.shards; shard++) {
      const log = await JetStreamLog.open({ nats, cluster: cluster.name, shard });
      let epoch = 0;
      let lastTx = 0;
      for await (const entry of log.read(0)) {
        for (const bytes of entry.records) {
          const record = decodeLogRecord(bytes, lastTx);
          if (record.kind === 'epoch') {
            assert.equal(record.epoch.epoch, epoch + 1, `shard ${shard}: epochs follow one another`);
            epoch = record.epoch.epoch;
          } else {
            assert.ok(record.tx.tx > lastTx, `shard ${shard}: tx ids rise`);
            lastTx = record.tx.tx;
          }
        }
      }
      assert.ok(epoch >= 1, `shard ${shard} has had a leader`);
      await log.close();
    }
  } finally {
    await nats.close();
  }
}
