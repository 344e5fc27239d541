/**
 * The candles retention keeps in place of the ticks it prunes (DESIGN.md, Retention): as tx data
 * of `candle/*` entities, one per market and interval of `widthMs` holding pruned ticks.
 *
 * The ticks a prune to `horizonTx` drops are those stored before it that no datom of another ref
 * attribute names (src/db/prune.ts keeps those). They are read from the store's columns, so the
 * work is O(ticks dropped), never O(ticks held).
 */
import { countBelow } from '../db/columns.js';
import type { View } from '../db/view.js';
import { type PricedTick, summaryCandlesOf } from './candles.js';
import { tickAttributes } from './retention.js';

/** The summary candles of the ticks a prune of `head` to `horizonTx` drops, as tx data. */
export function summaryTxData(head: View, horizonTx: number, widthMs: number): unknown[] {
  const before = head.asOf(horizonTx - 1);
  const byMarket = new Map<number, PricedTick[]>();
  const store = head.datomStore;
  const named = namedEntities(head);
  const slot = (ident: string) => head.attributeNamed(ident).slot;
  const [marketSlot, priceSlot, volumeSlot, tsSlot] = ['market', 'price', 'volume', 'ts'].map((a) =>
    slot(`tick/${a}`),
  );
  const positions = store.byAttr[marketSlot!]!;
  const { e, a, v } = store;
  for (let i = 0, n = countBelow(positions.data, positions.length, before.bound); i < n; i++) {
    const p = positions.data[i]!;
    if (!before.sees(p) || named.has(store.entityBase + e.data[p]!)) continue;
    const tick: PricedTick = { price: 0, volume: 0, ts: 0 };
    store.eachOfEntity(e.data[p]!, before.bound, (q) => {
      if (!before.sees(q)) return;
      const at = a.data[q];
      if (at === priceSlot) tick.price = v.data[q]!;
      else if (at === volumeSlot) tick.volume = v.data[q]!;
      else if (at === tsSlot) tick.ts = v.data[q]!;
    });
    const market = v.data[p]!;
    const ticks = byMarket.get(market);
    if (ticks) ticks.push(tick);
    else byMarket.set(market, [tick]);
  }
  const txData: unknown[] = [];
  for (const [market, ticks] of byMarket) {
    // In tx order so far: a stable sort by event time keeps ties in tx order.
    ticks.sort((x, y) => x.ts - y.ts);
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
      });
    }
  }
  return txData;
}

/** Entities a datom of a ref attribute other than the ticks' names: a prune keeps them. */
function namedEntities(head: View): Set<number> {
  const named = new Set<number>();
  const prunable = new Set<string>(tickAttributes);
  for (const attr of head.attributes()) {
    if (attr.valueType !== 'ref' || prunable.has(attr.ident)) continue;
    head.history().match(undefined, attr, undefined, (_e, _a, target) => named.add(target as number));
  }
  return named;
}
