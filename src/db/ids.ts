/**
 * The id spaces, in one place.
 *
 * Entity ids are safe integers `shard * 2^ENTITY_LOCAL_BITS + local`: the high bits name the
 * shard that owns the entity, so ids stay unique when the market space is split across leaders.
 * An embedded database is shard 0, so its ids are simply 1, 2, 3, ...
 *
 * Tx ids come from a hybrid logical clock: `wallMs * 2^TX_COUNTER_BITS + counter`. They increase
 * strictly, are comparable across shards (asOf(T) means the same instant everywhere) and stay safe
 * integers until the year 2248.
 */
import { assert } from './assert.js';

export const ENTITY_LOCAL_BITS = 32;
export const SHARD_MAX = 2 ** (53 - ENTITY_LOCAL_BITS) - 1;
export const TX_COUNTER_BITS = 10;
const TX_COUNTER_SPAN = 2 ** TX_COUNTER_BITS;

export function entityBase(shard: number): number {
  assert(Number.isInteger(shard) && shard >= 0 && shard <= SHARD_MAX, 'shard within the id space');
  return shard * 2 ** ENTITY_LOCAL_BITS;
}

/** The shard that owns entity `e`. */
export function shardOfEntity(e: number): number {
  return Math.floor(e / 2 ** ENTITY_LOCAL_BITS);
}

/**
 * The next tx id after `last` at wall time `wallMs`: later than `last` even when the wall clock
 * stalls or steps back, and as close to the wall clock as that allows. Pure: time is an input.
 */
export function nextTxId(last: number, wallMs: number): number {
  assert(Number.isSafeInteger(wallMs) && wallMs >= 0, 'wall clock reads whole milliseconds');
  const candidate = wallMs * TX_COUNTER_SPAN;
  const next = candidate > last ? candidate : last + 1;
  assert(Number.isSafeInteger(next), 'tx id stays a safe integer');
  return next;
}

/** The clock behind tx ids; tests pass a seeded fake. */
export interface Clock {
  nowMs(): number;
}
export const systemClock: Clock = { nowMs: () => Date.now() };
