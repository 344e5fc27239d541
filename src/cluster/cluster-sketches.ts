/**
 * Sketch answers for the whole cluster, at any node: each shard's window sketch is read from this
 * node's replica as of one settled tx and the sketches are merged (HyperLogLog registers by max,
 * Count-Min counters by sum, hot candidates united and estimated on the sum), so the answer is
 * the one a single sketch of every shard's ticks would give, with that sketch's error bound (ε·N
 * over the whole cluster's N). No sketch crosses the network: every node replicates every shard.
 */
import { bucketedDefaults } from '../market/sketches/bucketed.js';
import {
  type DistinctAnswer,
  type DistinctAttr,
  distinctAnswer,
  type HotAnswer,
  type HotCandidate,
  hotAnswer,
  type Sketches,
  type Window,
  type WindowQuery,
} from '../market/sketches/sketches.js';
import type { HotBy } from '../market/sketches/window-sketch.js';

/** A shard's sketches and the tx to read them as of (the settled tx, or the shard's own basis). */
export interface ShardSketches {
  sketches: Sketches;
  asOf: number;
}

export class ClusterSketches {
  readonly topKMax = bucketedDefaults.topKMax;

  /** `settled(tx)` settles `tx` (the cluster's now when undefined) and names each shard's read. */
  constructor(
    private readonly settled: (tx: number | undefined) => Promise<{ tx: number; shards: ShardSketches[] }>,
  ) {}

  async distinct(attr: DistinctAttr, query: WindowQuery = {}): Promise<DistinctAnswer> {
    const { tx, shards } = await this.settled(query.asOf);
    const [first, ...rest] = shards.map(({ sketches, asOf }) => sketches.distinctSketch({ ...query, asOf }));
    for (const part of rest) first!.sketch.merge(part.sketch);
    return distinctAnswer(attr, windowAt(first!.window, tx), first!.sketch);
  }

  async hot(by: HotBy, k: number, query: WindowQuery = {}): Promise<HotAnswer> {
    const { tx, shards } = await this.settled(query.asOf);
    const [first, ...rest] = shards.map(({ sketches, asOf }) => sketches.hotSketch(by, { ...query, asOf }));
    const candidates = new Map<string, HotCandidate>(first!.candidates.map((c) => [c.market, c]));
    for (const part of rest) {
      first!.counts.merge(part.counts);
      for (const candidate of part.candidates) candidates.set(candidate.market, candidate);
    }
    return hotAnswer(by, k, windowAt(first!.window, tx), first!.counts, [...candidates.values()]);
  }
}

/** Every shard covers the same buckets; the basis is the settled tx, not one shard's. */
function windowAt(window: Window, tx: number): Window {
  return { ...window, basisTx: tx };
}
