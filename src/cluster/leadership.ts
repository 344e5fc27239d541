/**
 * Leadership of every shard, as seen by one node: a pure state machine in the style of etcd's
 * raft. Events go in through `step`, actions come out; there are no timers and no I/O inside, and
 * time arrives only as `tick(nowMs)`. The caller (the cluster node) does the I/O each action asks
 * for and feeds back what it observes. DESIGN.md, "Cluster: leadership", gives the rules; in short:
 *
 * - The shard's stream is the only arbiter. Leadership is an epoch record in the stream; the
 *   leader is whoever the latest applied epoch record names. Every append (epoch or tx record)
 *   carries expected-last-sequence, so of two writers at most one can move the stream.
 * - Every node publishes one heartbeat about every `heartbeatIntervalMs`, carrying for each shard
 *   its applied position, the epoch and leader it knows, and whether it is leading.
 * - A follower that is fully caught up and has heard no leading heartbeat for the shard for
 *   `silenceIntervals` heartbeats (plus one interval per live node ranked above it in the shard's
 *   rendezvous order, so the preferred node claims first) appends {epoch + 1, itself} with
 *   expectedLast = its applied position. The fence picks at most one winner.
 * - A leader whose append is fenced steps down and follows.
 * - A leader hands the shard to a node that ranks above it in the shard's rendezvous order, once
 *   that node has been alive for `handoffStableIntervals` heartbeats and reports itself caught up:
 *   it stops writing, waits for its in-flight appends, then appends {epoch + 1, taker}. Handoffs
 *   only ever move a shard up its rendezvous order, so they cannot cycle (no flapping).
 *
 * Silence is measured on a listening clock that advances by at most `tickGapMsMax` per tick, so
 * a node that was stalled (SIGSTOP, a long GC) does not take its own deafness for the leader's
 * silence when it wakes. *
 * Driving it (one machine per node process; perform each step's actions in order):
 * - At start, per shard: after loading a checkpoint feed `applied` (its position and the latest
 *   epoch record at or before it); read the stream's last sequence and feed `streamLast`. Until
 *   then the node neither claims nor leads.
 * - Feed `tick` every ~10 ms from a monotonic clock, every other node's `heartbeat`, and
 *   `applied` for every record the replica applies, in order (the leader's own records too).
 * - publishHeartbeat: publish on the heartbeat subject, fire and forget.
 * - appendEpoch: append the epoch record with expected-last-sequence; feed epochAppended, or
 *   epochFenced on "wrong last sequence", or epochFailed when the outcome is unknown.
 * - becomeLeader: take writes, appending tx records fenced on `position` and then on each
 *   acknowledged position. A fenced tx append: feed writeFenced. One of unknown outcome (a
 *   timeout while the stream elects a leader), or any failure that leaves the write path unable
 *   to go on: feed writeFailed. Either way the leader steps down, so the shard cannot be left
 *   with a leader that heartbeats but no longer writes.
 * - stopWrites: hold new batches, let in-flight appends finish, feed writesStopped with the last
 *   position written. resumeWrites: take writes again.
 * - stepDown: fail in-flight and held batches with a retryable error, drop what was planned but
 *   is not durable, and follow. Route the shard's writes to `status()`'s leader.
 */
import { assert } from '../db/assert.js';
import { leaderPreference, type NodeId } from './shard-map.js';

export type { NodeId } from './shard-map.js';

/** A leadership record in a shard's stream: from here on, `leader` is the shard's only writer. */
export interface EpochRecord {
  /** 1 for the shard's first leader, then one more per change. */
  epoch: number;
  leader: NodeId;
}

/** What a heartbeat says about one shard. */
export interface ShardBeat {
  shard: number;
  /** The last position of the shard's stream the sender has applied. */
  applied: number;
  /** The latest epoch record the sender has applied (0 and null: none yet). */
  epoch: number;
  leader: NodeId | null;
  /** Whether the sender is writing the shard as that epoch's leader. */
  leading: boolean;
}

/** One node's heartbeat: one per node per interval, carrying every shard. */
export interface Heartbeat {
  node: NodeId;
  shards: ShardBeat[];
}

export type LeadershipEvent =
  /** The node's clock; feed it often (every ~10 ms, at most `heartbeatIntervalMs` apart). */
  | { type: 'tick'; nowMs: number }
  /** A heartbeat from another node. */
  | { type: 'heartbeat'; beat: Heartbeat }
  /** The stream's last position as last read from the stream (at start, after reconnecting). */
  | { type: 'streamLast'; shard: number; position: number }
  /**
   * The replica applied the record at `position`; `epoch` when that record is an epoch record.
   * After loading a checkpoint, feed its position with the latest epoch record at or before it.
   */
  | { type: 'applied'; shard: number; position: number; epoch?: EpochRecord }
  /** An `appendEpoch` action's record is durable at `position`. */
  | { type: 'epochAppended'; shard: number; epoch: number; position: number }
  /** An `appendEpoch` action was refused by the fence (the stream had moved). */
  | { type: 'epochFenced'; shard: number; epoch: number }
  /**
   * An `appendEpoch` action's outcome is unknown (timeout, lost connection): the record may or
   * may not be in the stream. If it is, the replica will apply it like any other.
   */
  | { type: 'epochFailed'; shard: number; epoch: number }
  /** A tx append made as leader was refused by the fence. */
  | { type: 'writeFenced'; shard: number; expectedLast: number }
  /**
   * The write path failed otherwise (an append of unknown outcome, a log error): it cannot go on.
   * The node steps down, reopens the replica, and feeds streamLast again before it may lead.
   */
  | { type: 'writeFailed'; shard: number }
  /** After `stopWrites`: no append is in flight; `last` is the last position this leader wrote. */
  | { type: 'writesStopped'; shard: number; last: number };

export type StepDownReason = 'fenced' | 'failed' | 'handoff' | 'superseded';

export type LeadershipAction =
  /** Publish on the heartbeat subject (best effort: a lost heartbeat is harmless). */
  | { type: 'publishHeartbeat'; beat: Heartbeat }
  /** Append `record` with expected-last-sequence `expectedLast`; report epochAppended/Fenced/Failed. */
  | { type: 'appendEpoch'; shard: number; record: EpochRecord; expectedLast: number }
  /** Start writing the shard: append tx records with expected-last-sequence from `position` on. */
  | { type: 'becomeLeader'; shard: number; epoch: number; position: number }
  /** Accept no new batches (hold them), let in-flight appends finish, then feed writesStopped. */
  | { type: 'stopWrites'; shard: number; epoch: number }
  /** The handoff was called off: accept batches again. */
  | { type: 'resumeWrites'; shard: number; epoch: number }
  /**
   * Stop writing: fail in-flight and held batches with a retryable error, drop whatever was
   * planned but is not durable, and follow the stream.
   */
  | { type: 'stepDown'; shard: number; epoch: number; reason: StepDownReason };

export interface LeadershipOptions {
  node: NodeId;
  shards: number;
  heartbeatIntervalMs?: number;
  /** Heartbeat intervals of silence before the preferred follower claims a shard. */
  silenceIntervals?: number;
  /** Heartbeat intervals a node must have been alive before it is handed its shards. */
  handoffStableIntervals?: number;
  /**
   * How many records a taker's last heartbeat may lag the leader's applied position when the
   * leader starts a handoff. A busy leader is always ahead of what a heartbeat said; the taker
   * applies the rest before it reaches the epoch record that names it.
   */
  handoffLagRecordsMax?: number;
}

export type Role = 'follower' | 'leader' | 'stopping' | 'handingOff';

/** One shard as this node sees it (for /v2/cluster and tests). */
export interface ShardStatus {
  shard: number;
  role: Role;
  epoch: number;
  leader: NodeId | null;
  applied: number;
  /** The stream's last position as far as this node knows (-1: not yet known). */
  knownLast: number;
}

interface ShardState {
  role: Role;
  applied: number;
  /** Lower bound on the stream's last position, from everything heard. */
  knownLast: number;
  /** Whether a streamLast event came: until then no view of the stream counts as caught up. */
  lastRead: boolean;
  epoch: number;
  leader: NodeId | null;
  /** Listening-clock time a heartbeat last showed this shard led at our epoch or later. */
  leaderHeardMs: number;
  /** The appendEpoch in flight (a claim, or a handoff to `record.leader`), if any. */
  pending: { record: EpochRecord; expectedLast: number } | null;
  /** The node a stopping leader hands to. */
  taker: NodeId | null;
}

interface Peer {
  heardMs: number;
  aliveSinceMs: number;
  beats: Map<number, ShardBeat>;
}

export class Leadership {
  readonly node: NodeId;
  readonly heartbeatIntervalMs: number;
  readonly silenceMs: number;
  readonly handoffStableMs: number;
  readonly handoffLagRecordsMax: number;
  /** The longest gap between ticks that counts as listening time. */
  readonly tickGapMsMax: number;
  private readonly shards: ShardState[];
  private readonly peers = new Map<NodeId, Peer>();
  private lastTickMs: number | null = null;
  private listenMs = 0;
  private lastBeatMs: number | null = null;
  private actions: LeadershipAction[] = [];

  constructor(options: LeadershipOptions) {
    assert(Number.isInteger(options.shards) && options.shards > 0, 'shard count is a positive integer');
    this.node = options.node;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 50;
    this.silenceMs = this.heartbeatIntervalMs * (options.silenceIntervals ?? 4);
    this.handoffStableMs = this.heartbeatIntervalMs * (options.handoffStableIntervals ?? 10);
    this.handoffLagRecordsMax = options.handoffLagRecordsMax ?? 256;
    this.tickGapMsMax = this.heartbeatIntervalMs * 2;
    this.shards = Array.from({ length: options.shards }, () => ({
      role: 'follower' as Role,
      applied: 0,
      knownLast: 0,
      lastRead: false,
      epoch: 0,
      leader: null,
      leaderHeardMs: 0,
      pending: null,
      taker: null,
    }));
  }

  /** Feeds one event; returns the actions it calls for, in the order they must be done. */
  step(event: LeadershipEvent): LeadershipAction[] {
    this.actions = [];
    switch (event.type) {
      case 'tick':
        this.onTick(event.nowMs);
        break;
      case 'heartbeat':
        this.onHeartbeat(event.beat);
        break;
      case 'streamLast': {
        const s = this.shard(event.shard);
        s.lastRead = true;
        this.raiseKnownLast(s, event.position);
        break;
      }
      case 'applied':
        this.onApplied(this.shard(event.shard), event.position, event.epoch);
        break;
      case 'epochAppended':
        this.onEpochAppended(event.shard, event.epoch, event.position);
        break;
      case 'epochFenced':
        this.onEpochFenced(event.shard, event.epoch);
        break;
      case 'epochFailed':
        this.onEpochFailed(event.shard, event.epoch);
        break;
      case 'writeFenced':
        this.onWriteFenced(event.shard, event.expectedLast);
        break;
      case 'writeFailed': {
        // Nothing is learnt of the stream, and the replica is reopened: until it has read the
        // stream's end again (streamLast) the node neither leads nor claims, or it would lead
        // again at once on the write path that just failed.
        const s = this.shard(event.shard);
        if (s.role === 'leader' || s.role === 'stopping') this.stepDown(event.shard, s, 'failed');
        s.lastRead = false;
        break;
      }
      case 'writesStopped':
        this.onWritesStopped(event.shard, event.last);
        break;
    }
    for (let shard = 0; shard < this.shards.length; shard++) this.maybeLead(shard);
    return this.actions;
  }

  status(): ShardStatus[] {
    return this.shards.map((s, shard) => ({
      shard,
      role: s.role,
      epoch: s.epoch,
      leader: s.leader,
      applied: s.applied,
      knownLast: s.lastRead ? s.knownLast : -1,
    }));
  }

  /** The nodes heard within the silence window, this one included, in id order. */
  liveNodes(): NodeId[] {
    const live = [this.node];
    for (const [node, peer] of this.peers) if (this.alive(peer)) live.push(node);
    return live.sort();
  }

  private shard(shard: number): ShardState {
    const state = this.shards[shard];
    assert(state !== undefined, `shard ${shard} exists`);
    return state;
  }

  private alive(peer: Peer): boolean {
    return this.listenMs - peer.heardMs < this.silenceMs;
  }

  private onTick(nowMs: number): void {
    if (this.lastTickMs !== null) {
      assert(nowMs >= this.lastTickMs, 'the clock does not go back');
      this.listenMs += Math.min(nowMs - this.lastTickMs, this.tickGapMsMax);
    }
    this.lastTickMs = nowMs;
    const beatDue = this.lastBeatMs === null || nowMs - this.lastBeatMs >= this.heartbeatIntervalMs;
    if (beatDue) {
      this.lastBeatMs = nowMs;
      this.actions.push({ type: 'publishHeartbeat', beat: this.heartbeat() });
    }
    for (let shard = 0; shard < this.shards.length; shard++) {
      const s = this.shards[shard]!;
      if (s.role === 'follower') this.maybeClaim(shard, s);
      // Handoffs wait for seconds of evidence; weighing them once per heartbeat is enough.
      else if (s.role === 'leader' && beatDue) this.maybeHandOff(shard, s);
    }
  }

  private heartbeat(): Heartbeat {
    const shards = this.shards.map((s, shard) => ({
      shard,
      applied: s.applied,
      epoch: s.epoch,
      leader: s.leader,
      leading: s.role !== 'follower',
    }));
    return { node: this.node, shards };
  }

  private onHeartbeat(beat: Heartbeat): void {
    if (beat.node === this.node) return;
    let peer = this.peers.get(beat.node);
    if (peer === undefined) {
      peer = { heardMs: this.listenMs, aliveSinceMs: this.listenMs, beats: new Map() };
      this.peers.set(beat.node, peer);
    } else if (!this.alive(peer)) peer.aliveSinceMs = this.listenMs;
    peer.heardMs = this.listenMs;
    for (const b of beat.shards) {
      const s = this.shards[b.shard];
      if (s === undefined) continue;
      peer.beats.set(b.shard, b);
      this.raiseKnownLast(s, b.applied);
      if (!b.leading || b.leader !== beat.node || b.epoch < s.epoch) continue;
      s.leaderHeardMs = this.listenMs;
      if (b.epoch > s.epoch && s.role !== 'follower') this.stepDown(b.shard, s, deposedBy(s, b.epoch));
    }
  }

  private raiseKnownLast(s: ShardState, position: number): void {
    if (position > s.knownLast) s.knownLast = position;
  }

  private onApplied(s: ShardState, position: number, record: EpochRecord | undefined): void {
    assert(position > s.applied, `applied positions increase (${position} after ${s.applied})`);
    s.applied = position;
    this.raiseKnownLast(s, position);
    if (record === undefined) return;
    assert(record.epoch > s.epoch, `epochs increase (${record.epoch} after ${s.epoch})`);
    if (s.role !== 'follower' && record.leader !== this.node) {
      this.stepDown(this.shards.indexOf(s), s, deposedBy(s, record.epoch));
    }
    s.epoch = record.epoch;
    s.leader = record.leader;
    s.leaderHeardMs = this.listenMs; // a new leader gets a full silence window to start beating
    if (s.pending !== null && s.pending.record.epoch <= record.epoch) s.pending = null;
  }

  /** A follower named by the latest epoch record leads once it has applied all it knows of. */
  private maybeLead(shard: number): void {
    const s = this.shards[shard]!;
    if (s.role !== 'follower' || s.pending !== null || s.leader !== this.node || !caughtUp(s)) return;
    s.role = 'leader';
    s.leaderHeardMs = this.listenMs;
    this.actions.push({ type: 'becomeLeader', shard, epoch: s.epoch, position: s.applied });
  }

  private maybeClaim(shard: number, s: ShardState): void {
    if (s.pending !== null || !caughtUp(s) || s.leader === this.node) return;
    if (this.listenMs - s.leaderHeardMs < this.silenceMs) return;
    const candidates = this.liveNodes().filter((node) => node !== s.leader);
    const rank = leaderPreference(shard, candidates).indexOf(this.node);
    if (this.listenMs - s.leaderHeardMs < this.silenceMs + rank * this.heartbeatIntervalMs) return;
    this.appendEpoch(shard, s, { epoch: s.epoch + 1, leader: this.node }, s.applied);
  }

  private maybeHandOff(shard: number, s: ShardState): void {
    const taker = leaderPreference(shard, this.liveNodes())[0]!;
    if (taker === this.node) return;
    const peer = this.peers.get(taker)!;
    const beat = peer.beats.get(shard);
    if (this.listenMs - peer.aliveSinceMs < this.handoffStableMs || beat === undefined) return;
    if (beat.epoch !== s.epoch || beat.applied + this.handoffLagRecordsMax < s.applied) return;
    s.role = 'stopping';
    s.taker = taker;
    this.actions.push({ type: 'stopWrites', shard, epoch: s.epoch });
  }

  private onWritesStopped(shard: number, last: number): void {
    const s = this.shard(shard);
    if (s.role !== 'stopping') return;
    const peer = this.peers.get(s.taker!)!;
    if (!this.alive(peer)) {
      this.resume(shard, s);
      return;
    }
    s.role = 'handingOff';
    this.appendEpoch(shard, s, { epoch: s.epoch + 1, leader: s.taker! }, last);
  }

  private appendEpoch(shard: number, s: ShardState, record: EpochRecord, expectedLast: number): void {
    s.pending = { record, expectedLast };
    this.actions.push({ type: 'appendEpoch', shard, record, expectedLast });
  }

  private onEpochAppended(shard: number, epoch: number, position: number): void {
    const s = this.shard(shard);
    this.raiseKnownLast(s, position);
    if (s.pending?.record.epoch !== epoch) return;
    if (s.role === 'handingOff') this.stepDown(shard, s, 'handoff');
    // A claimant leads once its replica applies the record (maybeLead), keeping `pending` until then.
  }

  private onEpochFenced(shard: number, epoch: number): void {
    const s = this.shard(shard);
    if (s.pending?.record.epoch !== epoch) return;
    this.raiseKnownLast(s, s.pending.expectedLast + 1);
    s.pending = null;
    if (s.role === 'handingOff') this.stepDown(shard, s, 'fenced');
  }

  /**
   * A claim is forgotten (the next tick may claim again, and is fenced if the first landed). A
   * handoff is called off: if its record did land, the leader's next write is fenced.
   */
  private onEpochFailed(shard: number, epoch: number): void {
    const s = this.shard(shard);
    if (s.pending?.record.epoch !== epoch) return;
    s.pending = null;
    if (s.role === 'handingOff') this.resume(shard, s);
  }

  /** Calls a handoff off. */
  private resume(shard: number, s: ShardState): void {
    s.role = 'leader';
    s.taker = null;
    this.actions.push({ type: 'resumeWrites', shard, epoch: s.epoch });
  }

  private onWriteFenced(shard: number, expectedLast: number): void {
    const s = this.shard(shard);
    this.raiseKnownLast(s, expectedLast + 1);
    if (s.role === 'leader' || s.role === 'stopping') this.stepDown(shard, s, 'fenced');
  }

  private stepDown(shard: number, s: ShardState, reason: StepDownReason): void {
    s.role = 'follower';
    s.taker = null;
    s.pending = null;
    s.leaderHeardMs = this.listenMs;
    this.actions.push({ type: 'stepDown', shard, epoch: s.epoch, reason });
  }
}

/** Why a leader learning of a later `epoch` stops: its own handoff, or someone's claim. */
function deposedBy(s: ShardState, epoch: number): StepDownReason {
  return s.role === 'handingOff' && s.pending?.record.epoch === epoch ? 'handoff' : 'superseded';
}

function caughtUp(s: ShardState): boolean {
  return s.lastRead && s.applied >= s.knownLast;
}
