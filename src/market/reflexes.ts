/**
 * Reflex evaluation in the write path. The alerts a batch fires are computed from the head (the
 * state the batch is validated against) and stored in the same tx as the ticks, so an alert is
 * durable exactly when its tick is, and survives restarts as facts. Cost: per batch, for each
 * market with new ticks, the reflexes of that market (found through the reverse index of
 * reflex/market), never all reflexes.
 */
import type { View } from '../db/view.js';
import { type Bounds, inBand, type Reflex } from './reflex-rules.js';

export interface StoredReflex extends Required<Pick<Reflex, 'id' | 'market' | 'attr'>>, Bounds {
  cooldownMs?: number;
  /** The reflex's entity id. */
  e: number;
}

/** A tick a batch adds, as reflexes see it. */
export interface NewTick {
  /** The tick's bulk row; its first column (db/id) gets a tempid if an alert must refer to it. */
  row: unknown[];
  index: number;
  market: number;
  price: number;
  volume: number;
  ts: number;
}

const reflexPattern = [
  'reflex/id',
  'reflex/attr',
  'reflex/above',
  'reflex/below',
  'reflex/band',
  'reflex/cooldownMs',
  { 'reflex/market': ['market/id'] },
];

export class Reflexes {
  /** Reflexes by market entity, as of the head; dropped whenever reflexes change. */
  private readonly byMarket = new Map<number, StoredReflex[]>();

  invalidate(): void {
    this.byMarket.clear();
  }

  /** The live reflexes watching `market` (an entity id) in `view`. */
  ofMarket(view: View, market: number): StoredReflex[] {
    let reflexes = this.byMarket.get(market);
    if (reflexes === undefined) {
      const attr = view.attributeNamed('reflex/market');
      reflexes = view.referrers(market, attr).map((e) => toStoredReflex(e, view.pull(e, reflexPattern)!));
      this.byMarket.set(market, reflexes);
    }
    return reflexes;
  }

  /** Entity maps of the alerts `ticks` (in batch order) fire, for the tx with id `txId`. */
  alertsFor(head: View, txId: number, ticks: readonly NewTick[]): Record<string, unknown>[] {
    const alerts: Record<string, unknown>[] = [];
    for (const [market, marketTicks] of groupByMarket(ticks)) {
      const reflexes = this.ofMarket(head, market);
      if (reflexes.length === 0) continue;
      const previous = previousTick(head, market);
      for (const reflex of reflexes) {
        const attr = reflex.attr === 'tick/volume' ? 'volume' : 'price';
        let wasIn = previous !== undefined && inBand(reflex, previous[attr]);
        let lastFiredTs: number | undefined;
        for (const tick of marketTicks) {
          const value = tick[attr];
          const isIn = inBand(reflex, value);
          if (isIn && !wasIn) {
            lastFiredTs ??= lastAlertTs(head, reflex.e);
            if (reflex.cooldownMs === undefined || !(tick.ts - lastFiredTs < reflex.cooldownMs)) {
              const tempid = (tick.row[0] ??= `tick:${tick.index}`);
              alerts.push({
                'alert/reflex': reflex.e,
                'alert/tick': tempid,
                'alert/value': value,
                'alert/tx': txId,
              });
              lastFiredTs = tick.ts;
            }
          }
          wasIn = isIn;
        }
      }
    }
    return alerts;
  }
}

export function toStoredReflex(e: number, pulled: Record<string, unknown>): StoredReflex {
  const reflex: StoredReflex = {
    e,
    id: pulled['reflex/id'] as string,
    market: (pulled['reflex/market'] as { 'market/id': string })['market/id'],
    attr: (pulled['reflex/attr'] as StoredReflex['attr']) ?? 'tick/price',
  };
  if (pulled['reflex/above'] !== undefined) reflex.above = pulled['reflex/above'] as number;
  if (pulled['reflex/below'] !== undefined) reflex.below = pulled['reflex/below'] as number;
  if (pulled['reflex/band'] !== undefined) reflex.band = pulled['reflex/band'] as StoredReflex['band'];
  if (pulled['reflex/cooldownMs'] !== undefined) reflex.cooldownMs = pulled['reflex/cooldownMs'] as number;
  return reflex;
}

function groupByMarket(ticks: readonly NewTick[]): Map<number, NewTick[]> {
  const groups = new Map<number, NewTick[]>();
  for (const tick of ticks) {
    const group = groups.get(tick.market);
    if (group) group.push(tick);
    else groups.set(tick.market, [tick]);
  }
  return groups;
}

/** The market's last tick in log order visible in `view`. */
function previousTick(view: View, market: number): { price: number; volume: number } | undefined {
  const last = view.lastReferrer(market, view.attributeNamed('tick/market'));
  if (last === undefined) return undefined;
  const tick = view.pull(last, ['tick/price', 'tick/volume'])!;
  return { price: tick['tick/price'] as number, volume: tick['tick/volume'] as number };
}

/** Event time of the reflex's latest alert, or -Infinity. */
function lastAlertTs(view: View, reflex: number): number {
  const last = view.lastReferrer(reflex, view.attributeNamed('alert/reflex'));
  if (last === undefined) return Number.NEGATIVE_INFINITY;
  const alert = view.pull(last, [{ 'alert/tick': ['tick/ts'] }]);
  return ((alert?.['alert/tick'] as { 'tick/ts'?: number } | undefined)?.['tick/ts'] ??
    Number.NEGATIVE_INFINITY) as number;
}
