/**
 * What the JetStream log adds to the contract: one replicated file stream per shard, and a log
 * that goes on through the loss of a NATS server (kill -9 of the stream's leader, a frozen
 * server) without losing or reordering an acknowledged entry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { GswarmError } from '../../src/errors.js';
import { JetStreamLog } from '../../src/log/jetstream-log.js';
import type { LogEntry } from '../../src/log/log.js';
import { connectNats } from '../../src/log/nats-connection.js';
import { NatsCluster } from '../cluster/nats-cluster.js';

const retryMsMax = 60_000;

/** Appends, retrying while the stream has no leader; an append that landed before a retry counts. */
async function appendThrough(log: JetStreamLog, value: number, expectedLast: number): Promise<number> {
  const deadline = Date.now() + retryMsMax;
  for (;;) {
    try {
      return await log.append([Uint8Array.of(value)], { expectedLast });
    } catch (error) {
      assert.ok(error instanceof GswarmError, String(error));
      if (error.code === 'GSW_ERR_FENCED') {
        const landed = await positionsAndValues(log, expectedLast);
        assert.deepEqual(landed[0], [expectedLast + 1, value], 'fenced only by its own earlier attempt');
        return expectedLast + 1;
      }
      assert.equal(error.code, 'GSW_ERR_LOG_UNAVAILABLE', error.message);
      assert.ok(Date.now() < deadline, `the stream took no append for ${retryMsMax} ms`);
      await sleep(200);
    }
  }
}

/**
 * The entries after `from`, as [position, value]; read again while the log is unavailable (a
 * consumer made during an election can stall, and a read says so rather than wait).
 */
async function positionsAndValues(log: JetStreamLog, from = 0): Promise<number[][]> {
  const deadline = Date.now() + retryMsMax;
  for (;;) {
    try {
      const out: number[][] = [];
      for await (const entry of log.read(from)) out.push([entry.position, entry.records[0]![0]!]);
      return out;
    } catch (error) {
      assert.ok(error instanceof GswarmError && error.code === 'GSW_ERR_LOG_UNAVAILABLE', String(error));
      assert.ok(Date.now() < deadline, `the stream could not be read for ${retryMsMax} ms`);
      await sleep(200);
    }
  }
}

describe('the JetStream log', () => {
  let cluster: NatsCluster;
  before(async () => {
    cluster = await NatsCluster.start();
  });
  after(async () => {
    await cluster?.close();
  });

  it('keeps each shard in its own file stream, replicated on all three servers', async () => {
    const nats = await connectNats({ servers: cluster.urls });
    try {
      const shard0 = await JetStreamLog.open({ nats, cluster: 'streams', shard: 0 });
      const shard1 = await JetStreamLog.open({ nats, cluster: 'streams', shard: 1 });
      await shard0.append([Uint8Array.of(1)], { expectedLast: 0 });
      const info = await (await jetstreamManager(nats)).streams.info(shard0.stream);
      assert.equal(info.config.name, 'GSWARM_streams_0');
      assert.deepEqual(info.config.subjects, ['gswarm.streams.log.0']);
      assert.equal(info.config.storage, 'file');
      assert.equal(info.config.num_replicas, 3);
      assert.equal(await shard0.last(), 1);
      assert.equal(await shard1.last(), 0, 'shards share nothing');
      const again = await JetStreamLog.open({ nats, cluster: 'streams', shard: 0 });
      assert.equal(await again.last(), 1, 'opening an existing stream keeps it');
    } finally {
      await nats.close();
    }
  });

  it('reports one creation time from every server once concurrent creates settle, and another for a stream made again', async () => {
    const connections = await Promise.all(cluster.urls.map((url) => connectNats({ servers: [url] })));
    try {
      // Every node opens (and so creates) the stream at once, as nodes starting together do.
      const logs = await Promise.all(
        connections.map((nats) => JetStreamLog.open({ nats, cluster: 'created', shard: 0 })),
      );
      const settled = async () => {
        const deadline = Date.now() + retryMsMax;
        for (;;) {
          const times = await Promise.all(logs.map((log) => log.created()));
          if (times.every((t) => t === times[0])) return times[0]!;
          assert.ok(Date.now() < deadline, `servers disagree on the creation time: ${times.join(', ')}`);
          await sleep(50);
        }
      };
      const first = await settled();
      assert.ok(!Number.isNaN(Date.parse(first)), first);
      await sleep(200);
      assert.equal(await settled(), first, 'a settled creation time stays');

      await (await jetstreamManager(connections[0]!)).streams.delete(logs[0]!.stream);
      for (const log of logs) await log.close();
      logs.splice(0, 3, await JetStreamLog.open({ nats: connections[1]!, cluster: 'created', shard: 0 }));
      assert.notEqual(await settled(), first);
    } finally {
      await Promise.all(connections.map((nats) => nats.close()));
    }
  });

  it('goes on through kill -9 of the stream leader and a frozen server, in one order', async () => {
    const open = async (servers: string[]) =>
      JetStreamLog.open({
        nats: await connectNats({ servers }),
        cluster: 'failover',
        shard: 0,
        ownsConnection: true,
      });
    const admin = await connectNats({ servers: cluster.urls });
    const writer = await open(cluster.urls);
    const abort = new AbortController();
    let reader: JetStreamLog | undefined;
    try {
      let position = 0;
      for (let i = 1; i <= 3; i++) position = await appendThrough(writer, i, position);
      const leader = (await (await jetstreamManager(admin)).streams.info(writer.stream)).cluster?.leader;
      assert.ok(leader, 'the stream has a leader');
      const dead = Number(leader.slice(1)) - 1;
      const survivor = (dead + 1) % 3;
      const other = (dead + 2) % 3;
      reader = await open([cluster.url(survivor)]);
      const seen: LogEntry[] = [];
      const following = (async () => {
        for await (const entry of reader.follow(0, { signal: abort.signal })) {
          seen.push(entry);
          if (entry.position === 6) return;
        }
      })();
      await cluster.kill(dead);
      for (let i = 4; i <= 5; i++) position = await appendThrough(writer, i, position);
      await cluster.restart(dead);
      // A frozen (not dead) server: the stream keeps or regains a quorum of two, or waits for it.
      await cluster.pause(other);
      const sixth = appendThrough(writer, 6, position);
      await sleep(500);
      cluster.resume(other);
      assert.equal(await sixth, 6);
      await following;
      const expected = [1, 2, 3, 4, 5, 6].map((i) => [i, i]);
      assert.deepEqual(
        seen.map((e) => [e.position, e.records[0]![0]]),
        expected,
        'every acknowledged entry, once, in order',
      );
      assert.deepEqual(await positionsAndValues(reader), expected);
    } finally {
      abort.abort();
      await reader?.close();
      await writer.close();
      await admin.close();
    }
  });
});
