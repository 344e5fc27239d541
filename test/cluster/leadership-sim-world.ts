/**
 * A seeded world for the leadership state machine: one fenced stream per shard (the model of a
 * JetStream stream with expected-last-sequence), nodes that run a `Leadership` each and do the
 * I/O its actions ask for, heartbeats with random delays, drops and partitions, replicas that
 * lag, crashes and restarts, pauses (SIGSTOP), and clients whose batches the leaders append.
 * Everything runs on one virtual clock from one seed, so a failure replays from its seed.
 *
 * Every observable step is reported to an `Observer` (the auditor in leadership.sim.test.ts).
 */

import { below, type Random, seeded } from '../../bench/lib/prng.js';
import { type EpochRecord, Leadership, type LeadershipAction } from '../../src/cluster/leadership.js';

export type StreamRecord =
  | { kind: 'epoch'; epoch: number; leader: string }
  | { kind: 'tx'; writer: string; epoch: number; batches: number[] };

export interface Observer {
  appended(shard: number, position: number, record: StreamRecord): void;
  acked(batch: number, shard: number, position: number): void;
  fenced(shard: number, node: string, what: 'epoch' | 'tx'): void;
  writing(shard: number, node: string, on: boolean): void;
  leading(shard: number, node: string, epoch: number): void;
}

export interface Network {
  /** Probability that one heartbeat to one node is lost. */
  dropRate: number;
  /** Upper bound of a message's delay, in ms. */
  delayMsMax: number;
  /** Probability that an append request, or its reply, is lost (the writer times out). */
  lossRate: number;
  /** Pairs (`from>to`) whose heartbeats are cut. */
  cut: Set<string>;
}

const tickMs = 10;
const traceLinesMax = 80;
const appendTimeoutMs = 100;

interface LeaderSession {
  epoch: number;
  /** The position the next append expects to be last. */
  last: number;
  /** The group being appended: client batches, one record. */
  inFlight: number[] | null;
  stopping: boolean;
}

interface Queued {
  at: number;
  seq: number;
  run: () => void;
}

export class World {
  readonly random: Random;
  now = 0;
  /** Per shard, each record and when each node (by index) can first read it. */
  readonly streams: { record: StreamRecord; visibleAt: number[] }[][];
  readonly nodes: SimNode[];
  readonly network: Network = { dropRate: 0, delayMsMax: 5, lossRate: 0, cut: new Set() };
  /** Client batches waiting for their shard's leader, per shard. */
  readonly pending: number[][];
  /** The latest notable steps (actions but heartbeats, faults), to print when a run fails. */
  readonly trace: string[] = [];
  private nextBatch = 1;
  private readonly queue: Queued[] = [];
  private seq = 0;

  constructor(
    seed: number,
    readonly nodeIds: string[],
    readonly shards: number,
    readonly observer: Observer,
  ) {
    this.random = seeded(seed);
    this.streams = Array.from({ length: shards }, () => []);
    this.pending = Array.from({ length: shards }, () => []);
    this.nodes = nodeIds.map((id, index) => new SimNode(this, id, index));
    for (const node of this.nodes) node.start(below(this.random, tickMs));
  }

  node(id: string): SimNode {
    return this.nodes.find((n) => n.id === id)!;
  }

  delay(): number {
    return 1 + below(this.random, this.network.delayMsMax);
  }

  at(time: number, run: () => void): void {
    const item = { at: Math.max(time, this.now), seq: this.seq++, run };
    let i = this.queue.length;
    this.queue.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(this.queue[parent]!, item)) break;
      this.queue[i] = this.queue[parent]!;
      i = parent;
    }
    this.queue[i] = item;
  }

  runUntil(time: number): void {
    while (this.queue.length > 0 && this.queue[0]!.at <= time) {
      const item = this.popFirst();
      this.now = item.at;
      item.run();
    }
    this.now = time;
  }

  note(line: string): void {
    this.trace.push(`@${this.now} ${line}`);
    if (this.trace.length > traceLinesMax) this.trace.shift();
  }

  submitBatch(shard: number): void {
    this.pending[shard]!.push(this.nextBatch++);
  }

  /** The fenced append: succeeds only if the stream's last position is `expectedLast`. */
  append(shard: number, record: StreamRecord, expectedLast: number): number | null {
    const stream = this.streams[shard]!;
    if (stream.length !== expectedLast) return null;
    const visibleAt = this.nodeIds.map(() => this.now + this.delay());
    stream.push({ record, visibleAt });
    this.observer.appended(shard, stream.length, record);
    return stream.length;
  }

  /** The latest epoch record at or before `position`. */
  epochAt(shard: number, position: number): EpochRecord | undefined {
    for (let p = position; p >= 1; p--) {
      const { record } = this.streams[shard]![p - 1]!;
      if (record.kind === 'epoch') return { epoch: record.epoch, leader: record.leader };
    }
    return undefined;
  }

  private popFirst(): Queued {
    const first = this.queue[0]!;
    const last = this.queue.pop()!;
    if (this.queue.length === 0) return first;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.queue.length) break;
      if (child + 1 < this.queue.length && before(this.queue[child + 1]!, this.queue[child]!)) child++;
      if (before(last, this.queue[child]!)) break;
      this.queue[i] = this.queue[child]!;
      i = child;
    }
    this.queue[i] = last;
    return first;
  }
}

function before(x: Queued, y: Queued): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

/** One gswarm node: its leadership machine, its replica of every shard, its writers. */
export class SimNode {
  up = true;
  pausedUntil: number | null = null;
  private incarnation = 0;
  private machine!: Leadership;
  private applied: number[] = [];
  private sessions: (LeaderSession | null)[] = [];
  private inbox: (() => void)[] = [];

  constructor(
    private readonly world: World,
    readonly id: string,
    private readonly index: number,
  ) {}

  /** Boots (or reboots) from the replica's checkpoint at `applied`, asking the stream its last. */
  start(offsetMs: number, applied: number[] = []): void {
    const world = this.world;
    this.up = true;
    this.incarnation++;
    this.machine = new Leadership({ node: this.id, shards: world.shards });
    this.sessions = Array.from({ length: world.shards }, () => null);
    this.applied = Array.from({ length: world.shards }, (_, shard) => applied[shard] ?? 0);
    this.inbox = [];
    for (let shard = 0; shard < world.shards; shard++) {
      const position = this.applied[shard]!;
      if (position > 0)
        this.feed({ type: 'applied', shard, position, epoch: world.epochAt(shard, position) });
      this.later(world.delay(), () => {
        this.feed({ type: 'streamLast', shard, position: world.streams[shard]!.length });
      });
    }
    const incarnation = this.incarnation;
    const tick = () => {
      if (this.incarnation !== incarnation) return;
      if (this.pausedUntil === null) this.onTick();
      world.at(world.now + tickMs, tick);
    };
    world.at(world.now + offsetMs, tick);
  }

  crash(): void {
    this.world.note(`${this.id} crashes`);
    this.up = false;
    this.incarnation++;
    this.pausedUntil = null;
    this.sessions.forEach((session, shard) => {
      if (session === null) return;
      if (!session.stopping) this.world.observer.writing(shard, this.id, false);
      // The client's request times out and it sends the batch again.
      if (session.inFlight !== null) this.world.pending[shard]!.push(...session.inFlight);
    });
  }

  /** Restarts with a checkpoint somewhere at or before what the replica had applied. */
  restart(): void {
    const checkpoint = this.applied.map((p) =>
      this.world.random() < 0.5 ? p : below(this.world.random, p + 1),
    );
    this.world.note(`${this.id} restarts from ${checkpoint.join(',')}`);
    this.start(below(this.world.random, tickMs), checkpoint);
  }

  pause(forMs: number): void {
    this.world.note(`${this.id} pauses for ${forMs} ms`);
    this.pausedUntil = this.world.now + forMs;
    const incarnation = this.incarnation;
    this.world.at(this.pausedUntil, () => {
      if (this.incarnation !== incarnation) return;
      this.pausedUntil = null;
      const inbox = this.inbox;
      this.inbox = [];
      if (this.world.random() < 0.5) this.onTick();
      for (const run of inbox) run();
    });
  }

  appliedOf(shard: number): number {
    return this.applied[shard]!;
  }

  /**
   * Runs `run` after `ms` if the node is up and still the incarnation `incarnation` (a reply to
   * a request sent before a crash goes nowhere); held while the node is paused.
   */
  private later(ms: number, run: () => void, incarnation = this.incarnation): void {
    this.world.at(this.world.now + ms, () => {
      if (!this.up || this.incarnation !== incarnation) return;
      if (this.pausedUntil !== null) this.inbox.push(run);
      else run();
    });
  }

  private onTick(): void {
    this.applyVisible();
    this.feed({ type: 'tick', nowMs: this.world.now });
    for (let shard = 0; shard < this.world.shards; shard++) this.writeNext(shard);
  }

  private applyVisible(): void {
    for (let shard = 0; shard < this.world.shards; shard++) {
      const stream = this.world.streams[shard]!;
      while (this.applied[shard]! < stream.length) {
        const { record, visibleAt } = stream[this.applied[shard]!]!;
        if (visibleAt[this.index]! > this.world.now) break;
        const position = ++this.applied[shard]!;
        const epoch = record.kind === 'epoch' ? { epoch: record.epoch, leader: record.leader } : undefined;
        this.feed({ type: 'applied', shard, position, epoch });
      }
    }
  }

  private feed(event: Parameters<Leadership['step']>[0]): void {
    for (const action of this.machine.step(event)) this.perform(action);
  }

  private perform(action: LeadershipAction): void {
    const { world } = this;
    if (action.type !== 'publishHeartbeat') world.note(`${this.id} ${JSON.stringify(action)}`);
    switch (action.type) {
      case 'publishHeartbeat':
        for (const peer of world.nodes) {
          if (peer === this || world.network.cut.has(`${this.id}>${peer.id}`)) continue;
          if (world.random() < world.network.dropRate) continue;
          peer.later(world.delay(), () => peer.feed({ type: 'heartbeat', beat: action.beat }));
        }
        return;
      case 'appendEpoch': {
        const { shard, record, expectedLast } = action;
        this.request(
          () => world.append(shard, { kind: 'epoch', ...record }, expectedLast),
          (position) => {
            if (position === null) world.observer.fenced(shard, this.id, 'epoch');
            return () =>
              this.feed(
                position === null
                  ? { type: 'epochFenced', shard, epoch: record.epoch }
                  : { type: 'epochAppended', shard, epoch: record.epoch, position },
              );
          },
          () => this.feed({ type: 'epochFailed', shard, epoch: record.epoch }),
        );
        return;
      }
      case 'becomeLeader':
        this.sessions[action.shard] = {
          epoch: action.epoch,
          last: action.position,
          inFlight: null,
          stopping: false,
        };
        world.observer.leading(action.shard, this.id, action.epoch);
        world.observer.writing(action.shard, this.id, true);
        return;
      case 'stopWrites': {
        const session = this.sessions[action.shard]!;
        session.stopping = true;
        world.observer.writing(action.shard, this.id, false);
        if (session.inFlight === null)
          this.feed({ type: 'writesStopped', shard: action.shard, last: session.last });
        return;
      }
      case 'resumeWrites':
        this.sessions[action.shard]!.stopping = false;
        world.observer.writing(action.shard, this.id, true);
        return;
      case 'stepDown': {
        const session = this.sessions[action.shard]!;
        // In-flight batches fail with a retryable error: the client sends them again.
        if (session.inFlight !== null) world.pending[action.shard]!.unshift(...session.inFlight);
        if (!session.stopping) world.observer.writing(action.shard, this.id, false);
        this.sessions[action.shard] = null;
        return;
      }
    }
  }

  /** A leader's group commit: one append in flight per shard, of all waiting batches, fenced on the last it wrote. */
  private writeNext(shard: number): void {
    const session = this.sessions[shard];
    const pending = this.world.pending[shard]!;
    if (session == null || session.stopping || session.inFlight !== null || pending.length === 0) return;
    const batches = pending.splice(0);
    session.inFlight = batches;
    const { world } = this;
    const expectedLast = session.last;
    const failed = () => {
      if (this.sessions[shard] !== session) return; // stepped down: the batches were failed already
      session.inFlight = null;
      pending.unshift(...batches);
      this.feed({ type: 'writeFenced', shard, expectedLast });
    };
    this.request(
      () => world.append(shard, { kind: 'tx', writer: this.id, epoch: session.epoch, batches }, expectedLast),
      (position) => {
        if (position === null) world.observer.fenced(shard, this.id, 'tx');
        return () => {
          if (position === null) return failed();
          if (this.sessions[shard] !== session) return;
          session.inFlight = null;
          session.last = position;
          for (const batch of batches) world.observer.acked(batch, shard, position);
          if (session.stopping) this.feed({ type: 'writesStopped', shard, last: position });
          else this.writeNext(shard);
        };
      },
      // Unsure whether it landed, the leader steps down as if fenced: safe, at the cost of a
      // failover if it had not.
      failed,
    );
  }

  /**
   * An append over the network: `send` runs at the stream after a delay and `received` turns its
   * outcome into what the reply does here; if the request or the reply is lost, `timedOut` runs
   * after the append timeout instead.
   */
  private request(
    send: () => number | null,
    received: (position: number | null) => () => void,
    timedOut: () => void,
  ): void {
    const { world } = this;
    const incarnation = this.incarnation;
    const lost = () => world.random() < world.network.lossRate;
    if (lost()) {
      this.later(appendTimeoutMs, timedOut);
      return;
    }
    world.at(world.now + world.delay(), () => {
      const reply = received(send());
      if (lost()) this.later(appendTimeoutMs, timedOut, incarnation);
      else this.later(world.delay(), reply, incarnation);
    });
  }
}
