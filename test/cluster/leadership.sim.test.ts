/**
 * The leadership state machine under a seeded simulation (test/cluster/leadership-sim-world.ts):
 * 3–5 nodes, 1–6 shards, clients appending batches through the leaders, and a chaos phase of
 * crashes and restarts, pauses, heartbeat drops, delays and partitions. Then calm returns and the
 * run checks liveness: every shard led by its preferred node; the node leading most shards killed
 * and each of its shards taken over within a bounded number of ticks; the node restarted and its
 * shards handed back without two writers and without any fenced append; no flapping after; every
 * client batch acknowledged in the end.
 *
 * The auditor checks safety all along: epoch records follow each other one by one; every tx record
 * was written by the leader the latest epoch record names, in that epoch (at most one writer's
 * appends succeed per epoch); every acknowledged batch is in the stream where it was acknowledged.
 *
 * A failure names its seed; GSWARM_SIM_SEED=N replays one seed, GSWARM_SIM_SEEDS=N runs N seeds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { below, seeded } from '../../bench/lib/prng.js';
import { Leadership } from '../../src/cluster/leadership.js';
import { preferredLeader } from '../../src/cluster/shard-map.js';
import { type Observer, type StreamRecord, World } from './leadership-sim-world.js';

const defaults = new Leadership({ node: 'x', shards: 1 });
const tickMs = 10;

interface Totals {
  fencedTx: number;
  fencedEpoch: number;
  epochs: number;
  acked: number;
}

class Auditor implements Observer {
  world!: World;
  /** From this time on the cluster is calm: a fence or two writers at once is a fault. */
  strictFromMs = Number.POSITIVE_INFINITY;
  readonly totals: Totals = { fencedTx: 0, fencedEpoch: 0, epochs: 0, acked: 0 };
  readonly writers: Set<string>[];
  readonly leaderships: { shard: number; node: string; epoch: number; atMs: number }[] = [];
  private readonly current: ({ epoch: number; leader: string } | null)[];
  private readonly acks = new Map<number, { shard: number; position: number }>();

  constructor(shards: number) {
    this.writers = Array.from({ length: shards }, () => new Set());
    this.current = Array.from({ length: shards }, () => null);
  }

  appended(shard: number, position: number, record: StreamRecord): void {
    const current = this.current[shard]!;
    if (record.kind === 'epoch') {
      assert.equal(
        record.epoch,
        (current?.epoch ?? 0) + 1,
        `shard ${shard} @${position}: epochs go one by one`,
      );
      this.current[shard] = { epoch: record.epoch, leader: record.leader };
      this.totals.epochs++;
      return;
    }
    assert.ok(current !== null, `shard ${shard} @${position}: a tx record before any epoch record`);
    assert.equal(record.writer, current.leader, `shard ${shard} @${position}: written by a non-leader`);
    assert.equal(record.epoch, current.epoch, `shard ${shard} @${position}: written in a stale epoch`);
  }

  acked(batch: number, shard: number, position: number): void {
    assert.ok(!this.acks.has(batch), `batch ${batch} acknowledged twice`);
    const record = this.world.streams[shard]![position - 1]?.record;
    assert.ok(
      record?.kind === 'tx' && record.batches.includes(batch),
      `batch ${batch} is not where it was acknowledged`,
    );
    this.acks.set(batch, { shard, position });
    this.totals.acked++;
  }

  fenced(shard: number, node: string, what: 'epoch' | 'tx'): void {
    if (what === 'tx') this.totals.fencedTx++;
    else this.totals.fencedEpoch++;
    assert.ok(
      this.world.now < this.strictFromMs,
      `shard ${shard}: ${node}'s ${what} append fenced while calm`,
    );
  }

  writing(shard: number, node: string, on: boolean): void {
    const writers = this.writers[shard]!;
    if (!on) {
      writers.delete(node);
      return;
    }
    const others = [...writers].filter((n) => n !== node);
    assert.ok(
      this.world.now < this.strictFromMs || others.length === 0,
      `shard ${shard}: ${node} and ${others} write at once`,
    );
    writers.add(node);
  }

  leading(shard: number, node: string, epoch: number): void {
    this.leaderships.push({ shard, node, epoch, atMs: this.world.now });
  }

  /** Every acknowledged batch is still where it was acknowledged (nothing acknowledged is lost). */
  checkAcks(): void {
    for (const [batch, { shard, position }] of this.acks) {
      const record = this.world.streams[shard]![position - 1]?.record;
      assert.ok(record?.kind === 'tx' && record.batches.includes(batch), `acknowledged batch ${batch} lost`);
    }
  }

  ackedCount(): number {
    return this.acks.size;
  }
}

function scheduleChaos(world: World, untilMs: number): void {
  const { random } = world;
  for (let t = 300; t < untilMs; t += 100 + below(random, 400)) {
    world.at(t, () => {
      const node = world.nodes[below(random, world.nodes.length)]!;
      const forMs = Math.min(50 + below(random, 1500), untilMs - world.now);
      switch (below(random, 4)) {
        case 0:
          if (!node.up) return;
          node.crash();
          world.at(world.now + forMs, () => node.restart());
          return;
        case 1:
          if (node.up && node.pausedUntil === null) node.pause(forMs);
          return;
        case 2: {
          const other = world.nodes[below(random, world.nodes.length)]!;
          const cut = [`${node.id}>${other.id}`, `${other.id}>${node.id}`].slice(0, 1 + below(random, 2));
          for (const pair of cut) world.network.cut.add(pair);
          world.at(world.now + forMs, () => cut.forEach((pair) => world.network.cut.delete(pair)));
          return;
        }
        default:
          world.network.dropRate = random() * 0.3;
          world.network.lossRate = random() * 0.05;
          world.network.delayMsMax = 5 + below(random, 40);
      }
    });
  }
}

/** The node leading each shard now (the only writer), or null. */
function writerOf(auditor: Auditor, shard: number): string | null {
  const writers = [...auditor.writers[shard]!];
  assert.ok(writers.length <= 1, `shard ${shard} has writers ${writers} while calm`);
  return writers[0] ?? null;
}

function assertPreferredLeaders(world: World, auditor: Auditor, when: string): void {
  for (let shard = 0; shard < world.shards; shard++) {
    const preferred = preferredLeader(shard, world.nodeIds);
    assert.equal(writerOf(auditor, shard), preferred, `${when}: shard ${shard} is led by its preferred node`);
  }
}

function simulate(seed: number, onWorld: (world: World) => void): Totals {
  const probe = seeded(seed ^ 0x9e3779b9); // the cluster's shape, apart from the world's stream
  const nodeIds = Array.from({ length: 3 + below(probe, 3) }, (_, i) => `n${i + 1}`);
  const shards = 1 + below(probe, 6);
  const auditor = new Auditor(shards);
  const world = new World(seed, nodeIds, shards, auditor);
  auditor.world = world;
  onWorld(world);
  let loadOn = true;
  const load = () => {
    if (!loadOn) return;
    world.submitBatch(below(world.random, shards));
    world.at(world.now + 5 + below(world.random, 20), load);
  };
  world.at(0, load);

  const chaosEndMs = 2000 + below(world.random, 3000);
  scheduleChaos(world, chaosEndMs);
  world.runUntil(chaosEndMs);
  Object.assign(world.network, { dropRate: 0, delayMsMax: 5, lossRate: 0 });
  world.network.cut.clear();
  for (const node of world.nodes) if (!node.up) node.restart();
  world.runUntil(chaosEndMs + 2500);
  assertPreferredLeaders(world, auditor, 'after the chaos');

  // Kill (or stop, as SIGSTOP does) the node leading most shards: each of its shards must be
  // taken over in bounded time.
  const led = (node: string) => auditor.writers.filter((w) => w.has(node)).length;
  const victim = world.nodes.reduce((a, b) => (led(b.id) > led(a.id) ? b : a));
  const victimShards = auditor.writers.flatMap((w, shard) => (w.has(victim.id) ? [shard] : []));
  const killMs = world.now;
  const stopped = world.random() < 0.5;
  if (stopped) victim.pause(1000);
  else victim.crash();
  const takeoverTicksMax =
    (defaults.silenceMs + nodeIds.length * defaults.heartbeatIntervalMs + 100) / tickMs;
  world.runUntil(killMs + takeoverTicksMax * tickMs);
  for (const shard of victimShards) {
    const takeover = auditor.leaderships.find((l) => l.shard === shard && l.atMs > killMs);
    assert.ok(
      takeover !== undefined,
      `shard ${shard}: no follower took over within ${takeoverTicksMax} ticks`,
    );
    assert.notEqual(takeover.node, victim.id);
  }

  // Bring it back: it gets its shards back by handoff, with no fence and never two writers. A
  // stopped leader wakes still writing; its first append is fenced, or it hears of the new
  // epoch, within a few ticks.
  world.runUntil(killMs + 1000);
  if (stopped) world.runUntil(world.now + 10 * tickMs);
  else victim.restart();
  auditor.strictFromMs = world.now;
  world.runUntil(world.now + defaults.handoffStableMs + 1000);
  assertPreferredLeaders(world, auditor, 'after the restart');
  const epochs = auditor.totals.epochs;
  world.runUntil(world.now + 1000);
  assert.equal(auditor.totals.epochs, epochs, 'leadership stays put once it has settled (no flapping)');

  loadOn = false;
  world.runUntil(world.now + 1000);
  assert.deepEqual(world.pending.flat(), [], 'every client batch is acknowledged in the end');
  auditor.checkAcks();
  return auditor.totals;
}

test('a seed replays exactly', () => {
  const run = () => {
    let world: World | undefined;
    const totals = simulate(7, (w) => (world = w));
    return { totals, trace: world!.trace, streams: world!.streams.map((s) => s.map((r) => r.record)) };
  };
  assert.deepEqual(run(), run());
});

test('leadership under a seeded simulation: safe always, live once calm', () => {
  const only = process.env.GSWARM_SIM_SEED;
  const seeds =
    only !== undefined
      ? [Number(only)]
      : Array.from({ length: Number(process.env.GSWARM_SIM_SEEDS ?? 300) }, (_, i) => i + 1);
  const sum: Totals = { fencedTx: 0, fencedEpoch: 0, epochs: 0, acked: 0 };
  for (const seed of seeds) {
    let totals: Totals;
    let world: World | undefined;
    try {
      totals = simulate(seed, (w) => (world = w));
    } catch (error) {
      const trace = world?.trace.join('\n') ?? '';
      const message = `seed ${seed} failed (replay: GSWARM_SIM_SEED=${seed}): ${(error as Error).message}`;
      throw new Error(`${message}\nlast steps:\n${trace}`, { cause: error });
    }
    for (const key of Object.keys(sum) as (keyof Totals)[]) sum[key] += totals[key];
  }
  // The chaos must have exercised what the auditor guards: deposed leaders and lost claims.
  if (only === undefined) {
    assert.ok(sum.fencedTx > 0, 'some leader was fenced');
    assert.ok(sum.fencedEpoch > 0, 'some claim was fenced');
    assert.ok(sum.acked > seeds.length * 100, 'batches were acknowledged');
  }
});
