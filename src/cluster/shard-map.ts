/**
 * Where a market lives and which node should lead each shard. Both functions are specified
 * byte for byte (DESIGN.md, "Cluster: shards") so other implementations compute the same answers.
 *
 * - shardOf: FNV-1a 32-bit over the UTF-8 bytes of `market/id`, taken as an unsigned integer, mod N.
 * - leaderPreference: rendezvous (highest-random-weight) hashing. The weight of node `n` for shard
 *   `s` is fmix32(FNV-1a 32-bit over the UTF-8 bytes of `${s}:${n}`), fmix32 being MurmurHash3's
 *   finaliser (FNV-1a's low bits alone are too regular to rank on). Nodes rank by weight, highest
 *   first; equal weights rank by node id in code-unit order. Each shard's choice is independent
 *   of the others, so a node leaving moves only the shards it was preferred for, and a node
 *   joining takes only shards from the others (the minimum movement); the spread is as even as
 *   independent random choices make it.
 */
import { assert } from '../db/assert.js';

export type NodeId = string;

/** FNV-1a 32-bit over the UTF-8 bytes of `s`, as an unsigned integer (encoded inline: no copy). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const char of s) {
    const c = char.codePointAt(0)!;
    if (c < 0x80) h = fnvByte(h, c);
    else if (c < 0x800) h = fnvByte(fnvByte(h, 0xc0 | (c >> 6)), 0x80 | (c & 0x3f));
    else if (c < 0x10000) {
      // A lone surrogate encodes as U+FFFD, as TextEncoder does.
      const d = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
      h = fnvByte(fnvByte(fnvByte(h, 0xe0 | (d >> 12)), 0x80 | ((d >> 6) & 0x3f)), 0x80 | (d & 0x3f));
    } else {
      h = fnvByte(fnvByte(h, 0xf0 | (c >> 18)), 0x80 | ((c >> 12) & 0x3f));
      h = fnvByte(fnvByte(h, 0x80 | ((c >> 6) & 0x3f)), 0x80 | (c & 0x3f));
    }
  }
  return h >>> 0;
}

function fnvByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193);
}

/**
 * MurmurHash3's 32-bit finaliser: spreads every input bit over every output bit. The same mix as
 * src/db/hash.ts, kept apart on purpose: this one is part of the cluster's documented placement
 * and must never change, while the db's table hash is free to.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The shard (0 … shards-1) that holds the market `marketId` and all its ticks, reflexes and alerts. */
export function shardOf(marketId: string, shards: number): number {
  assert(Number.isInteger(shards) && shards > 0, `shard count ${shards} is a positive integer`);
  return fnv1a32(marketId) % shards;
}

/** The rendezvous weight of `node` for `shard`. */
export function rendezvousWeight(shard: number, node: NodeId): number {
  return fmix32(fnv1a32(`${shard}:${node}`));
}

/** `nodes` in the order they should lead `shard`, most preferred first. */
export function leaderPreference(shard: number, nodes: Iterable<NodeId>): NodeId[] {
  const weighted = [...new Set(nodes)].map((node) => ({ node, weight: rendezvousWeight(shard, node) }));
  weighted.sort((x, y) => y.weight - x.weight || (x.node < y.node ? -1 : x.node > y.node ? 1 : 0));
  return weighted.map((w) => w.node);
}

/** The node that should lead `shard` among `nodes`, or null when there are none. */
export function preferredLeader(shard: number, nodes: Iterable<NodeId>): NodeId | null {
  let best: NodeId | null = null;
  let bestWeight = -1;
  for (const node of nodes) {
    const weight = rendezvousWeight(shard, node);
    if (weight > bestWeight || (weight === bestWeight && best !== null && node < best)) {
      best = node;
      bestWeight = weight;
    }
  }
  return best;
}
