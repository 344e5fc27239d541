/**
 * Three `gswarm serve --nats` nodes over a real three-server JetStream cluster, as child
 * processes. Correctness, not timing: under ingest, the node leading the most shards is killed
 * (-9) and restarted as a follower, round after round; every acknowledged tick must then be on
 * every node, every as-of answer read before a kill must be read identically on every node after
 * it, and each shard's stream must hold one history (epochs one after another, tx ids rising).
 * A leader frozen (SIGSTOP) until it is replaced must step down when it wakes; an SSE stream held
 * at a survivor, and resumed at another node, must carry every alert exactly once across the
 * failover of the alerting market's leader.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { serverSentEvents } from '../../src/client/sse.js';
import { shardOf } from '../../src/cluster/shard-map.js';
import { JetStreamLog } from '../../src/log/jetstream-log.js';
import { decodeLogRecord } from '../../src/log/log-record.js';
import { connectNats } from '../../src/log/nats-connection.js';
import { GswarmCluster, hangGuardMs } from './gswarm-cluster.js';
import { createMarkets, IngestLoad, killLeaderUnderLoad, markets, post, tickIdsAt } from './ingest-load.js';

const rounds = 3;

describe('a three-node cluster under ingest, its busiest leader killed -9 and restarted', () => {
  let cluster: GswarmCluster;
  before(async () => {
    cluster = await GswarmCluster.start({ nodes: 3, shards: 3 });
    await createMarkets(cluster.url(0));
  });
  after(async () => {
    await cluster?.close();
  });

  it('loses no acknowledged tick, keeps every as-of answer, and keeps one history per shard', async () => {
    const load = new IngestLoad();
    const answered: { tx: number; body: unknown }[] = [];
    for (let round = 0; round < rounds; round++) {
      await killLeaderUnderLoad(cluster, load, {
        beforeKill: async () => {
          const tx = load.lastTx;
          answered.push({ tx, body: await asOfEverywhere(cluster, tx) });
        },
      });
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

  it('reports per shard the epoch, leadership and replica lag, and forwarded writes, in /metrics', async () => {
    const text = await (await fetch(`${cluster.url(0)}/metrics`)).text();
    const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    for (let shard = 0; shard < cluster.shards; shard++) {
      assert.ok(sample(`gswarm_shard_epoch\\{shard="${shard}"\\}`) >= 1, `shard ${shard} has had a leader`);
      assert.ok([0, 1].includes(sample(`gswarm_shard_leading\\{shard="${shard}"\\}`)));
      assert.ok(sample(`gswarm_shard_replica_lag_entries\\{shard="${shard}"\\}`) >= 0);
    }
    assert.ok(sample('gswarm_forwarded_parts_total\\{outcome="ok"\\}') > 0, 'writes went to leaders');
  });

  it('steps a frozen leader down when it wakes, and nothing sent to it while frozen forks the data', async () => {
    const zombie = await cluster.leaderOfMost();
    const survivors = cluster.running().filter((i) => i !== zombie);
    const ticks = [{ id: 'ZOMBIE-1', market: markets[0]!.id, price: 1, volume: 1, ts: 1 }];
    await cluster.pause(zombie);
    // Sent while frozen: the request waits in the socket until the process wakes.
    const toZombie = post(cluster.url(zombie), '/v2/ingest', { ticks });
    await until('the survivors replace the frozen leader', async () => {
      const view = await cluster.view(survivors[0]!);
      return view.shards.every((s) => s.leader !== `n${zombie + 1}` && s.leader !== null) ? true : undefined;
    });
    const after = await post(cluster.url(survivors[0]!), '/v2/ingest', {
      ticks: [{ id: 'ZOMBIE-2', market: markets[1]!.id, price: 1, volume: 1, ts: 2 }],
    });
    assert.equal(after.status, 202);
    cluster.resume(zombie);
    const answer = await toZombie;
    // Woken, it is fenced or hears the new epoch, steps down and sends the write to the new leader.
    assert.ok([202, 503].includes(answer.status), await answer.clone().text());
    const settled = await cluster.settled();
    assert.ok(settled.shards.every((s) => s.leader !== null));
    const stored = await tickIdsAt(cluster.url(0));
    for (const i of cluster.running()) assert.deepEqual(await tickIdsAt(cluster.url(i)), stored);
    assert.ok(stored.has('ZOMBIE-2'));
    if (answer.status === 202) assert.ok(stored.has('ZOMBIE-1'));
  });

  it('carries every alert exactly once on an SSE stream across a failover, resumed at another node', async () => {
    const market = 'ALERTING';
    assert.equal((await post(cluster.url(0), '/v2/ingest', { markets: [{ id: market }] })).status, 202);
    const reflex = await fetch(`${cluster.url(0)}/v2/reflexes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'HIGH', market, above: 150 }),
    });
    assert.ok([200, 201].includes(reflex.status), await reflex.text());
    const shardLeader = async () => {
      const view = await cluster.settled();
      const shard = view.shards[shardOf(market, view.shards.length)]!;
      return Number(shard.leader!.slice(1)) - 1;
    };
    const victim = await shardLeader();
    const [reader, resumer] = cluster.running().filter((i) => i !== victim);
    const stream = new AlertReader(cluster.url(reader!));
    await stream.opened;
    // Each batch takes the price below the band and then into it: one alert per batch.
    const fired = new Set<string>();
    const batch = async (n: number) => {
      const ticks = [
        { id: `LOW-${n}`, market, price: 100, volume: 1, ts: 2 * n },
        { id: `HIGH-${n}`, market, price: 200, volume: 1, ts: 2 * n + 1 },
      ];
      for (;;) {
        const target = cluster.url(n % 2 === 0 ? reader! : resumer!);
        const answer = await post(target, '/v2/ingest', { ticks });
        if (answer.status === 202) return fired.add(`HIGH-${n}`);
        assert.equal(answer.status, 503, await answer.text());
        await sleep(20);
      }
    };
    for (let n = 0; n < 10; n++) await batch(n);
    await stream.until(fired.size);
    await cluster.kill(victim);
    for (let n = 10; n < 20; n++) await batch(n);
    await stream.until(fired.size);
    // The reader leaves; a new stream at another node resumes from its last event id.
    const lastEventId = stream.close();
    const resumed = new AlertReader(cluster.url(resumer!), lastEventId);
    await resumed.opened;
    for (let n = 20; n < 30; n++) await batch(n);
    await resumed.until(fired.size - stream.ticks.length);
    const received = [...stream.ticks, ...resumed.ticks];
    assert.deepEqual([...received].sort(), [...fired].sort(), 'every alert once, none repeated');
    resumed.close();
    await cluster.startNode(victim);
    await cluster.settled();
  });
});

/** An SSE client of /v2/alerts/stream that collects the alerts' tick ids and the last event id. */
class AlertReader {
  readonly ticks: string[] = [];
  readonly opened: Promise<void>;
  private lastEventId: string | undefined;
  private readonly abort = new AbortController();

  constructor(url: string, lastEventId?: string) {
    this.lastEventId = lastEventId;
    const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': lastEventId };
    const response = fetch(`${url}/v2/alerts/stream`, { headers, signal: this.abort.signal });
    this.opened = response.then((r) => {
      assert.equal(r.status, 200);
      void this.read(r);
    });
  }

  /** Waits until `count` alerts have arrived. */
  async until(count: number): Promise<void> {
    await until(`${count} alerts on the stream`, async () => (this.ticks.length >= count ? true : undefined));
  }

  /** Stops reading; returns the last event id received. */
  close(): string {
    this.abort.abort();
    assert.ok(this.lastEventId !== undefined, 'an event arrived');
    return this.lastEventId;
  }

  private async read(response: Response): Promise<void> {
    const text = (async function* () {
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) yield decoder.decode(chunk as Uint8Array, { stream: true });
    })();
    try {
      for await (const event of serverSentEvents(text)) {
        this.ticks.push((JSON.parse(event.data) as { tick: string }).tick);
        this.lastEventId = event.id;
      }
    } catch (error) {
      if (!this.abort.signal.aborted) throw error;
    }
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + hangGuardMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`gave up waiting: ${what}`);
    await sleep(20);
  }
}

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
          } else if (record.kind === 'tx') {
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
