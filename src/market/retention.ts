/**
 * Retention policy: which tx the pruner moves the horizon to. Ticks committed before the horizon
 * are dropped (src/db/prune.ts); markets, reflexes, alerts and the ticks alerts name are kept.
 *
 * A window is given in time (ticks committed within `retainMs` of now are kept) or in ticks (at
 * least the latest `retainTicks` are kept, whole txs). Pruning compacts the store, so it runs in
 * whole segments: only once an eighth of the window or more can go, which bounds memory to about
 * 9/8 of the window and amortizes each compaction over an eighth of a window of ingest.
 */
import { lastAtMost } from '../db/columns.js';
import type { DatomStore } from '../db/datoms.js';

export interface RetentionOptions {
  /** Keep the ticks committed within this many milliseconds of now. */
  retainMs?: number;
  /** Keep at least this many of the latest ticks (whole txs). */
  retainTicks?: number;
  /** Width of the candles kept in place of pruned ticks (default: an hour). */
  summaryWidthMs?: number;
}

export const summaryWidthDefaultMs = 3_600_000;

/** The attributes retention prunes: every tick attribute. */
export const tickAttributes = ['tick/id', 'tick/market', 'tick/price', 'tick/volume', 'tick/ts'] as const;

/**
 * The horizon to prune to now (the first tx kept), or undefined when fewer ticks than an eighth of
 * those kept would go. With both limits, the one that keeps less wins. Pure: reads the store; the
 * clock is `nowMs`.
 */
export function retentionHorizon(
  store: DatomStore,
  nowMs: number,
  options: RetentionOptions,
): number | undefined {
  const idSlot = store.schema.attribute('tick/id')?.slot;
  if (idSlot === undefined || store.txCount === 0) return undefined;
  const ticks = store.byAttr[idSlot]!;
  let first = -1;
  if (options.retainMs !== undefined) {
    first = lastAtMost(store.txInstants.data, store.txCount, nowMs - options.retainMs) + 1;
  }
  if (options.retainTicks !== undefined && ticks.length > options.retainTicks) {
    first = Math.max(first, store.txIndexOf(ticks.at(ticks.length - options.retainTicks)));
  }
  if (first <= 0 || first >= store.txCount) return undefined;
  const current = store.txIndexAsOf(store.horizonTx - 1) + 1;
  const below = (txIndex: number) => ticks.countBelow(store.txStarts.get(txIndex));
  const dropped = below(first) - below(Math.min(current, first));
  const kept = ticks.length - below(first);
  return dropped > 0 && dropped >= kept / 8 ? store.txIds.get(first) : undefined;
}
