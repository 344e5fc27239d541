/**
 * The per-market tick index: for each market, the positions of its ticks' `tick/market` datoms
 * (ascending, so tx order), each tick's event time, and a running maximum over event time. The
 * latest tick of a market as of any view is then a binary search for the view's bound plus one
 * lookup in the running maximum: O(log n). Built lazily per market from the AVET postings of
 * `tick/market`, and extended incrementally as ticks arrive.
 *
 * A retracted tick can invalidate the running maximum; the view's liveness check catches that
 * and falls back to a scan of that market's ticks.
 */
import { type Column, countBelow, f64, u32 } from '../db/columns.js';
import type { DatomStore } from '../db/datoms.js';
import type { SchemaAttribute } from '../db/schema.js';
import type { View } from '../db/view.js';

interface MarketTicks {
  positions: Column<Uint32Array>;
  ts: Column<Float64Array>;
  /** Index (into positions) of the tick with the greatest ts among [0, i]; later wins ties. */
  maxAt: Column<Uint32Array>;
}

export interface TickFacts {
  /** The tick's entity id. */
  e: number;
  id: string;
  price: number;
  volume: number;
  ts: number;
  /** The tx that stored the tick. */
  tx: number;
}

export class MarketIndex {
  private readonly markets = new Map<number, MarketTicks>();

  constructor(
    private readonly store: DatomStore,
    private readonly attrs: {
      market: SchemaAttribute;
      id: SchemaAttribute;
      price: SchemaAttribute;
      volume: SchemaAttribute;
      ts: SchemaAttribute;
    },
  ) {}

  /** The tick of `market` with the latest event time visible in `view`. O(log n). */
  latest(view: View, market: number): TickFacts | undefined {
    const ticks = this.ticksOf(market);
    const k = countBelow(ticks.positions.data, ticks.positions.length, view.bound) - 1;
    if (k < 0) return undefined;
    const best = ticks.maxAt.get(k);
    if (view.sees(ticks.positions.get(best))) return this.facts(view, ticks.positions.get(best));
    let found = -1;
    for (let i = k; i >= 0; i--) {
      if (view.sees(ticks.positions.get(i)) && (found < 0 || ticks.ts.get(i) > ticks.ts.get(found)))
        found = i;
    }
    return found < 0 ? undefined : this.facts(view, ticks.positions.get(found));
  }

  /** The ticks of `market` visible in `view`, with ts in [from, to), in event-time order, ties in store order. */
  range(view: View, market: number, from: number, to: number, limit: number): TickFacts[] {
    const ticks = this.ticksOf(market);
    const end = countBelow(ticks.positions.data, ticks.positions.length, view.bound);
    const chosen: number[] = [];
    for (let i = 0; i < end; i++) {
      const ts = ticks.ts.get(i);
      if (ts >= from && ts < to && view.sees(ticks.positions.get(i))) chosen.push(i);
    }
    const at = (i: number) => ticks.positions.get(i);
    chosen.sort((x, y) => ticks.ts.get(x) - ticks.ts.get(y) || this.inStoreOrder(at(x), at(y)));
    return chosen.slice(0, limit).map((i) => this.facts(view, ticks.positions.get(i)));
  }

  /** Orders two ticks' datoms as their ticks were stored: by tx (positions ascend with it), then entity id. */
  private inStoreOrder(p: number, q: number): number {
    const { store } = this;
    return store.txIndexOf(p) - store.txIndexOf(q) || store.entities.at(p) - store.entities.at(q);
  }

  /** The ticks of `market` (an entity id), brought up to date with the store. */
  private ticksOf(market: number): MarketTicks {
    let ticks = this.markets.get(market);
    if (ticks === undefined) {
      ticks = { positions: u32(), ts: f64(), maxAt: u32() };
      this.markets.set(market, ticks);
    }
    const all = this.store.avet[this.attrs.market.slot]!.list(market);
    for (let i = ticks.positions.length; i < all.length; i++) {
      const p = all[i]!;
      const ts = this.tsOf(this.store.entities.at(p));
      const n = ticks.positions.push(p);
      ticks.ts.push(ts);
      ticks.maxAt.push(n > 0 && ticks.ts.get(ticks.maxAt.get(n - 1)) > ts ? ticks.maxAt.get(n - 1) : n);
    }
    return ticks;
  }

  private tsOf(local: number): number {
    const { a, v, added } = this.store;
    let ts = Number.NEGATIVE_INFINITY;
    this.store.eachOfEntity(local, this.store.datomCount, (p) => {
      if (a.data[p] === this.attrs.ts.slot && added.has(p)) ts = v.at(p);
    });
    return ts;
  }

  private facts(view: View, marketDatom: number): TickFacts {
    const store = this.store;
    const local = store.entities.at(marketDatom);
    const { id, price, volume, ts } = this.attrs;
    const facts = { e: store.entityBase + local, id: '', price: 0, volume: 0, ts: 0, tx: 0 };
    store.eachOfEntity(local, view.bound, (p) => {
      if (!view.sees(p)) return;
      const slot = store.a.data[p]!;
      const raw = store.v.at(p);
      if (slot === id.slot) facts.id = store.strings.string(raw);
      else if (slot === price.slot) facts.price = raw;
      else if (slot === volume.slot) facts.volume = raw;
      else if (slot === ts.slot) facts.ts = raw;
    });
    facts.tx = store.txIds.get(store.txIndexOf(marketDatom));
    return facts;
  }
}
