/**
 * The candles retention keeps in place of the ticks it prunes (DESIGN.md, Retention): as tx data
 * of `candle/*` entities, one per market and interval of `widthMs` holding pruned ticks.
 *
 * The ticks a prune to `horizonTx` drops are those stored before it that no datom of another ref
 * attribute names (src/db/prune.ts keeps those). They are read from the store's columns, so the
 * work is O(ticks dropped), never O(ticks held), and in steps, so it runs beside ingest.
 */
import type { View } from '../db/view.js';
import { type StoredTick, summaryCandlesOf } from './candles.js';
import { tickAttributes } from './retention.js';

/** Ticks read between two yields of `summarySteps`. */
const stepTicks = 1 << 14;

/**
 * The summary candles of the ticks a prune of `view` to `horizonTx` drops, as tx data, in steps
 * (it yields every few thousand ticks). The ticks before the horizon are durable and never
 * change, so a view taken before the prune serves; `stillNamed` tells whether a ref made since
 * names one of them (then the prune keeps it, and the summary must be made again).
 */
export function* summarySteps(
  view: View,
  horizonTx: number,
  widthMs: number,
): Generator<void, { txData: unknown[]; stillValid: (head: View) => boolean }, void> {
  const before = view.asOf(horizonTx - 1);
  const byMarket = new Map<number, StoredTick[]>();
  const store = view.datomStore;
  const named = namedEntities(view);
  const slot = (ident: string) => view.attributeNamed(ident).slot;
  const [marketSlot, priceSlot, volumeSlot, tsSlot] = ['market', 'price', 'volume', 'ts'].map((a) =>
    slot(`tick/${a}`),
  );
  const positions = store.byAttr[marketSlot!]!;
  const { entities, a, v } = store;
  const summed = new Set<number>();
  for (let i = 0, n = positions.countBelow(before.bound); i < n; i++) {
    if ((i & (stepTicks - 1)) === 0) yield;
    const p = positions.at(i);
    const local = entities.at(p);
    const tickId = store.entityBase + local;
    if (!before.sees(p) || named.has(tickId)) continue;
    summed.add(tickId);
    const tick: StoredTick = {
      price: 0,
      volume: 0,
      ts: 0,
      tx: store.txIds.get(store.txIndexOf(p)),
      e: tickId,
    };
    store.eachOfEntity(local, before.bound, (q) => {
      if (!before.sees(q)) return;
      const at = a.data[q];
      if (at === priceSlot) tick.price = v.at(q);
      else if (at === volumeSlot) tick.volume = v.at(q);
      else if (at === tsSlot) tick.ts = v.at(q);
    });
    const market = v.at(p);
    const ticks = byMarket.get(market);
    if (ticks) ticks.push(tick);
    else byMarket.set(market, [tick]);
  }
  const txData: unknown[] = [];
  for (const [market, ticks] of byMarket) {
    yield;
    // Event time, ties in store order (tx, then entity id), as the ticks held are read.
    ticks.sort((x, y) => x.ts - y.ts || x.tx - y.tx || x.e - y.e);
    for (const c of summaryCandlesOf(ticks, widthMs)) {
      txData.push({
        'candle/market': market,
        'candle/start': c.start,
        'candle/width': widthMs,
        'candle/open': c.open,
        'candle/high': c.high,
        'candle/low': c.low,
        'candle/close': c.close,
        'candle/volume': c.volume,
        'candle/ticks': c.ticks,
        'candle/openTs': c.openTs,
        'candle/closeTs': c.closeTs,
        'candle/openTx': c.openTx,
        'candle/openE': c.openE,
        'candle/closeTx': c.closeTx,
        'candle/closeE': c.closeE,
      });
    }
  }
  const stillValid = (head: View) => {
    let valid = true;
    forEachNamed(head.since(view.basisTx), (target) => {
      if (summed.has(target)) valid = false;
    });
    return valid;
  };
  return { txData, stillValid };
}

/** Entities a datom of a ref attribute other than the ticks' names: a prune keeps them. */
function namedEntities(view: View): Set<number> {
  const named = new Set<number>();
  forEachNamed(view, (target) => named.add(target));
  return named;
}

/** Calls `visit` with the target of every datom (also retracted) of a ref attribute but the ticks'. */
function forEachNamed(view: View, visit: (target: number) => void): void {
  const prunable = new Set<string>(tickAttributes);
  for (const attr of view.attributes()) {
    if (attr.valueType !== 'ref' || prunable.has(attr.ident)) continue;
    view.history().match(undefined, attr, undefined, (_e, _a, target) => visit(target as number));
  }
}
