/**
 * A cluster node: for every shard a JetStream log and a local replica that follows it, and the
 * leadership machine (src/cluster/leadership.ts) driven with real time and real I/O. All I/O of
 * leadership is here; the rules are in the machine.
 *
 * - A ~10 ms timer feeds `tick`; heartbeats go out and come in on `gswarm.<cluster>.heartbeat`
 *   (core NATS, best effort).
 * - Every record a replica applies is fed as `applied` (epoch records with their epoch); a
 *   leader's own tx appends are fed once durable.
 * - As leader of a shard the node writes through that shard's connection (`transact`), whose
 *   appends are fenced on the stream's last sequence. A fenced append is fed as `writeFenced`.
 * - With `data`, each replica keeps checkpoints on disk (src/cluster/replica-dir.ts) and a
 *   (re)open replays only the stream's tail after the last one.
 * - On stepDown the replica is reopened from the log (simplest correct: it drops whatever was
 *   planned but never durable), and follows again. `onShard` hears every (re)opened replica, so
 *   whatever is built on a replica (the market layer, alert feeds) is built again on the new one.
 * - `onLeading` hears when the node starts and stops writing a shard: the shard's write service
 *   (src/cluster/shard-service.ts) listens only while it does.
 */
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { InvariantError } from '../db/assert.js';
import type { TxReport } from '../db/db.js';
import { schemaTxData } from '../db/schema.js';
import type { SchemaSpec } from '../db/types.js';
import { fail, GswarmError } from '../errors.js';
import { JetStreamLog } from '../log/jetstream-log.js';
import { encodeLogRecord } from '../log/log-record.js';
import { connectNats, type NatsOptions } from '../log/nats-connection.js';
import { type Connection, open } from '../store/connection.js';
import { storage } from '../store/storage.js';
import { checkShardCount } from './cluster-meta.js';
import {
  type EpochRecord,
  type Heartbeat,
  Leadership,
  type LeadershipAction,
  type LeadershipEvent,
  type NodeId,
  type ShardStatus,
} from './leadership.js';
import { recordReplicaStream, replicaStorage } from './replica-dir.js';

export interface ClusterNodeOptions {
  /** The servers and TLS files; the node opens (and closes) its own connection. */
  nats: NatsOptions;
  /** Names the cluster's streams and subjects. */
  cluster: string;
  node: NodeId;
  shards: number;
  /** Declared by each shard's first leader. */
  schema: SchemaSpec;
  /**
   * A directory for this node's replicas and their checkpoints (src/cluster/replica-dir.ts), so a
   * restart replays only each stream's tail; without it replicas are in memory and a restart
   * replays every stream from its start.
   */
  data?: string;
  heartbeatIntervalMs?: number;
}

/** A node as this one sees it: alive when heard within the silence window (itself: always). */
export interface NodeSeen {
  node: NodeId;
  url: string | null;
  alive: boolean;
}

interface ReplayedEpoch {
  record: EpochRecord;
  position: number;
}

interface ShardReplica {
  log: JetStreamLog;
  connection: Connection;
  following: AbortController;
  /** Whether this node writes the shard now (between becomeLeader/resumeWrites and stop/stepDown). */
  writing: boolean;
  /** A reopen in progress: the shard takes no events' I/O until it is done. */
  reopening: Promise<void> | undefined;
  /** Asked for a reopen while one was in progress: another follows it. */
  reopenAgain: boolean;
}

const tickMs = 10;
const reopenRetryMs = 100;
/**
 * How long after opening a shard its stream is taken to be settled (every node's concurrent
 * create applied, see replica-dir.ts) and recorded in the replica's directory, ms.
 */
const streamSettleMs = 5_000;
/** How long a close waits to record the stream in a directory that has none, ms. */
const closeRecordMsMax = 1_000;
/** How long a starting node retries a JetStream that is not answering yet (a cluster starting too). */
const startRetryMsMax = 15_000;

export function heartbeatSubject(cluster: string): string {
  return `gswarm.${cluster}.heartbeat`;
}

export class ClusterNode {
  private readonly leadership: Leadership;
  private readonly shards: ShardReplica[] = [];
  private timer: NodeJS.Timeout | undefined;
  private heartbeats: Subscription | undefined;
  private closed = false;
  private readonly appliedFed: number[] = [];
  private readonly urls = new Map<NodeId, string>();
  private url: string | undefined;
  private readonly shardListeners = new Set<(shard: number, connection: Connection) => void>();
  private readonly leadingListeners = new Set<(shard: number, leading: boolean) => void>();

  private constructor(
    private readonly options: ClusterNodeOptions,
    private readonly nats: NatsConnection,
  ) {
    this.leadership = new Leadership({
      node: options.node,
      shards: options.shards,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
    });
  }

  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const node = new ClusterNode(options, await connectNats({ name: options.node, ...options.nats }));
    try {
      await whileUnavailable(() => checkShardCount(node.nats, options.cluster, options.shards));
      for (let shard = 0; shard < options.shards; shard++) {
        const { replica, latest } = await whileUnavailable(() => node.openShard(shard));
        node.shards[shard] = replica;
        await whileUnavailable(() => node.track(shard, latest));
      }
    } catch (error) {
      await node.close();
      throw error;
    }
    node.listen();
    return node;
  }

  get id(): NodeId {
    return this.options.node;
  }

  /** The node's NATS connection (shard services and calls between nodes ride on it). */
  get connection(): NatsConnection {
    return this.nats;
  }

  get cluster(): string {
    return this.options.cluster;
  }

  get shardCount(): number {
    return this.options.shards;
  }

  /** Tells the other nodes (in heartbeats) where this node's HTTP API is. */
  advertise(url: string): void {
    this.url = url;
  }

  /** Every node heard of, with its API URL if it told one. */
  nodes(): NodeSeen[] {
    const alive = new Set(this.leadership.liveNodes());
    const known = new Set([...alive, ...this.urls.keys()]);
    const urlOf = (node: NodeId) => (node === this.id ? this.url : this.urls.get(node)) ?? null;
    return [...known].sort().map((node) => ({ node, url: urlOf(node), alive: alive.has(node) }));
  }

  /** Calls `listener` with every shard's replica now, and with each replica a reopen makes. */
  onShard(listener: (shard: number, connection: Connection) => void): () => void {
    this.shardListeners.add(listener);
    this.shards.forEach((replica, shard) => listener(shard, replica.connection));
    return () => this.shardListeners.delete(listener);
  }

  /** Hears the node start (true) and stop (false) writing a shard; at once for shards it writes. */
  onLeading(listener: (shard: number, leading: boolean) => void): () => void {
    this.leadingListeners.add(listener);
    this.shards.forEach((replica, shard) => {
      if (replica.writing) listener(shard, true);
    });
    return () => this.leadingListeners.delete(listener);
  }

  /** Whether this node writes `shard` now. */
  leads(shard: number): boolean {
    return this.shardOf(shard).writing;
  }

  /** The last position of `shard`'s stream, read from the stream. */
  streamLast(shard: number): Promise<number> {
    return this.shardOf(shard).log.last();
  }

  status(): ShardStatus[] {
    return this.leadership.status();
  }

  /** The replica of `shard` (reads). */
  replica(shard: number): Connection {
    return this.shardOf(shard).connection;
  }

  /** Commits `txData` on `shard`, which this node must lead; resolves once durable. */
  transact(shard: number, txData: unknown): Promise<TxReport> {
    return this.write(shard, (connection) => connection.transact(txData));
  }

  /**
   * Runs `write` on `shard`'s connection, which this node must lead (else GSW_ERR_NOT_LEADER). A
   * write the stream fences deposes the node: the machine hears it, and the caller gets
   * GSW_ERR_NOT_LEADER (retryable: nothing of the write is durable).
   */
  async write<T>(shard: number, write: (connection: Connection) => Promise<T>): Promise<T> {
    const replica = this.shardOf(shard);
    if (!replica.writing) {
      const leader = this.leadership.status()[shard]!.leader;
      fail('GSW_ERR_NOT_LEADER', `node ${this.id} does not lead shard ${shard} (leader: ${leader})`, {
        shard,
        leader,
      });
    }
    const { connection } = replica;
    try {
      const result = await write(connection);
      this.applied(shard, connection.position);
      return result;
    } catch (error) {
      if (error instanceof GswarmError && error.code === 'GSW_ERR_FENCED') {
        this.feed({ type: 'writeFenced', shard, expectedLast: error.data.expectedLast as number });
        throw new GswarmError(
          'GSW_ERR_NOT_LEADER',
          `node ${this.id} was deposed as leader of shard ${shard}; nothing of this write is durable`,
          { shard, leader: null },
          error,
        );
      }
      if (!connection.accepting && !this.closed) {
        // An append timed out (the stream electing a leader) or the log failed: this connection
        // takes no more writes, so the node must not go on heartbeating as the shard's writer.
        this.feed({ type: 'writeFailed', shard });
        throw new GswarmError(
          'GSW_ERR_NOT_LEADER',
          `node ${this.id} stopped leading shard ${shard} after its write path failed (${(error as Error).message}); whether this write is durable is unknown, and resending it is safe`,
          { shard, leader: null },
          error,
        );
      }
      throw error;
    }
  }

  /** Stops at once, as a crash would (no handoff): for tests and shutdown. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.heartbeats?.unsubscribe();
    for (const [shard, replica] of this.shards.entries()) {
      replica.writing = false;
      replica.following.abort();
      await replica.reopening;
      await Promise.race([
        this.recordStream(shard, replica.log),
        new Promise((resolve) => setTimeout(resolve, closeRecordMsMax).unref()),
      ]);
      await replica.connection.close();
    }
    await this.nats.close();
  }

  /**
   * Records the shard's stream in its replica directory, unless there is none or it is recorded.
   * Best effort: if the stream cannot be asked (or this log has closed), the next open or close
   * tries again; a directory without the record is only not checked.
   */
  private async recordStream(shard: number, log: JetStreamLog): Promise<void> {
    const { data } = this.options;
    if (data === undefined) return;
    await recordReplicaStream(data, shard, log).catch(() => undefined);
  }

  private shardOf(shard: number): ShardReplica {
    const replica = this.shards[shard];
    if (replica === undefined)
      fail('GSW_ERR_BAD_REQUEST', `no shard ${shard} (the cluster has ${this.shards.length})`);
    return replica;
  }

  private listen(): void {
    const { nats } = this;
    const { cluster } = this.options;
    this.heartbeats = nats.subscribe(heartbeatSubject(cluster), {
      callback: (error, message) => {
        if (error || this.closed) return;
        const beat = message.json<Heartbeat & { url?: string }>();
        if (beat.node === this.id) return;
        if (beat.url !== undefined) this.urls.set(beat.node, beat.url);
        this.feed({ type: 'heartbeat', beat });
      },
    });
    this.timer = setInterval(() => this.feed({ type: 'tick', nowMs: performance.now() }), tickMs);
  }

  /** Opens shard's log and replica; `latest` is the last epoch record replayed, with its position. */
  private async openShard(
    shard: number,
  ): Promise<{ replica: ShardReplica; latest: ReplayedEpoch | undefined }> {
    const { nats } = this;
    const { cluster } = this.options;
    const log = await JetStreamLog.open({ nats, cluster, shard });
    let latest: ReplayedEpoch | undefined;
    let connection: Connection;
    try {
      const { data } = this.options;
      connection = await open({
        storage: data === undefined ? storage.memory() : await replicaStorage(data, shard, log),
        log,
        shard,
        onEpoch: (epoch, position) => {
          latest = { record: { epoch: epoch.epoch, leader: epoch.node }, position };
        },
      });
    } catch (error) {
      await log.close();
      throw error;
    }
    setTimeout(() => void this.recordStream(shard, log), streamSettleMs).unref();
    const replica: ShardReplica = {
      log,
      connection,
      following: new AbortController(),
      writing: false,
      reopening: undefined,
      reopenAgain: false,
    };
    return { replica, latest };
  }

  /**
   * Tells the machine where the shard's replica (now in place: the actions this may cause act on
   * it) stands, and starts following the stream.
   */
  private async track(shard: number, latest: ReplayedEpoch | undefined): Promise<void> {
    const replica = this.shardOf(shard);
    const { connection, following } = replica;
    // The epoch record at its own position: a reopen replays records the machine has heard, and
    // `applied` passes over positions fed before (a record fed again would be an epoch repeated).
    if (latest !== undefined) this.applied(shard, latest.position, latest.record);
    this.applied(shard, connection.position);
    this.feed({ type: 'streamLast', shard, position: await replica.log.last() });
    connection.listenRecords((record, position) => {
      const epoch =
        record.kind === 'epoch' ? { epoch: record.epoch.epoch, leader: record.epoch.node } : undefined;
      this.applied(shard, position, epoch);
    });
    connection.follow(following.signal).catch(() => {
      // A replica that cannot apply what it reads (fenced mid-flight, a gap) starts over.
      if (!this.closed && !following.signal.aborted) this.reopen(shard);
    });
  }

  /** Feeds `applied` for a position past the last one fed (a reopen replays what was fed). */
  private applied(shard: number, position: number, epoch?: EpochRecord): void {
    if (position <= (this.appliedFed[shard] ?? 0)) return;
    this.appliedFed[shard] = position;
    this.feed({ type: 'applied', shard, position, epoch });
  }

  private feed(event: LeadershipEvent): void {
    if (this.closed) return;
    for (const action of this.leadership.step(event)) this.perform(action);
  }

  private perform(action: LeadershipAction): void {
    const { nats } = this;
    const { cluster } = this.options;
    switch (action.type) {
      case 'publishHeartbeat':
        nats.publish(heartbeatSubject(cluster), JSON.stringify({ ...action.beat, url: this.url }));
        return;
      case 'appendEpoch':
        this.appendEpoch(action.shard, action.record, action.expectedLast);
        return;
      case 'becomeLeader':
        this.lead(action.shard);
        return;
      case 'stopWrites': {
        const replica = this.shardOf(action.shard);
        this.setWriting(action.shard, false);
        replica.connection
          .drained()
          .then(() =>
            this.feed({ type: 'writesStopped', shard: action.shard, last: replica.connection.position }),
          );
        return;
      }
      case 'resumeWrites':
        this.setWriting(action.shard, true);
        return;
      case 'stepDown':
        this.setWriting(action.shard, false);
        this.reopen(action.shard);
        return;
    }
  }

  private appendEpoch(shard: number, record: EpochRecord, expectedLast: number): void {
    const bytes = encodeLogRecord({
      kind: 'epoch',
      epoch: { epoch: record.epoch, node: record.leader, shard },
    });
    this.shardOf(shard)
      .log.append([bytes], { expectedLast })
      .then(
        (position) => this.feed({ type: 'epochAppended', shard, epoch: record.epoch, position }),
        (error: unknown) => {
          const fenced = error instanceof GswarmError && error.code === 'GSW_ERR_FENCED';
          this.feed({ type: fenced ? 'epochFenced' : 'epochFailed', shard, epoch: record.epoch });
        },
      );
  }

  /** Starts writing `shard`: declares the schema (a no-op once declared), then takes writes. */
  private lead(shard: number): void {
    this.setWriting(shard, true);
    this.transact(shard, schemaTxData(this.options.schema)).catch(() => {
      // A schema write that is fenced or fails steps the node down like any other write.
    });
  }

  private setWriting(shard: number, writing: boolean): void {
    const replica = this.shardOf(shard);
    if (replica.writing === writing) return;
    replica.writing = writing;
    for (const listener of this.leadingListeners) listener(shard, writing);
  }

  /**
   * Drops the shard's replica and opens it again from the log: what was never durable is gone.
   * Asked during a reopen, it reopens again once that one ends: the machine may have forgotten
   * (writeFailed) the stream's end that the reopen in progress has already read, and only a
   * later reopen tells it again.
   */
  private reopen(shard: number): void {
    const replica = this.shardOf(shard);
    if (this.closed) return;
    if (replica.reopening) {
      replica.reopenAgain = true;
      return;
    }
    replica.reopenAgain = false;
    replica.reopening = (async () => {
      replica.following.abort();
      await replica.connection.close();
      const { replica: opened, latest } = await this.openShard(shard);
      const { log, connection, following } = opened;
      Object.assign(replica, { log, connection, following, writing: false });
      for (const listener of this.shardListeners) listener(shard, replica.connection);
      await this.track(shard, latest);
    })().then(
      () => {
        replica.reopening = undefined;
        if (replica.reopenAgain) this.reopen(shard);
      },
      (e) => {
        // A bug, not an outage: the rejection goes unhandled and stops the process.
        if (e instanceof InvariantError) throw e;
        replica.reopening = undefined;
        // The stream is unreachable for now: try again shortly rather than give the shard up.
        if (!this.closed) setTimeout(() => this.reopen(shard), reopenRetryMs).unref();
      },
    );
  }
}

/**
 * Runs `action`, again every ~100 ms while JetStream answers GSW_ERR_LOG_UNAVAILABLE, for up to
 * startRetryMsMax: nodes started with their NATS servers meet a JetStream that is still electing
 * its leaders ("jetstream is not enabled", no responders) for a moment.
 */
async function whileUnavailable<T>(action: () => Promise<T>): Promise<T> {
  const deadlineMs = Date.now() + startRetryMsMax;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      const transient = error instanceof GswarmError && error.code === 'GSW_ERR_LOG_UNAVAILABLE';
      if (!transient || Date.now() > deadlineMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, reopenRetryMs));
    }
  }
}
