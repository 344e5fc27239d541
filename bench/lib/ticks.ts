/**
 * Deterministic market data: `marketCount` markets and a stream of ticks over them. Each market's
 * price is a bounded random walk in [0, 1]; event time grows with the tick's position plus a little
 * jitter, so a market's ticks are not quite in event-time order (as from real feeds).
 */
import type { MarketRow, TickRow } from '../../src/market/swarm.js';
import { below, type Random, seeded } from './prng.js';

export const tsBase = 1_700_000_000_000;

export function marketId(i: number): string {
  return `m${String(i).padStart(3, '0')}`;
}

export function marketRows(count: number): MarketRow[] {
  return Array.from({ length: count }, (_, i) => ({ id: marketId(i), name: `Market ${i}` }));
}

export class TickStream {
  private readonly random: Random;
  private readonly prices: Float64Array;
  private next = 0;

  constructor(
    readonly marketCount: number,
    seed = 42,
  ) {
    this.random = seeded(seed);
    this.prices = new Float64Array(marketCount).map(() => 0.5);
  }

  /** How many ticks were produced so far. */
  get produced(): number {
    return this.next;
  }

  /** The next `size` ticks. */
  batch(size: number): TickRow[] {
    const { random, prices } = this;
    const out: TickRow[] = new Array(size);
    for (let k = 0; k < size; k++) {
      const i = this.next++;
      const m = below(random, this.marketCount);
      let price = prices[m]! + (random() - 0.5) * 0.04;
      if (price < 0) price = -price;
      if (price > 1) price = 2 - price;
      prices[m] = price;
      out[k] = {
        id: `t${i}`,
        market: marketId(m),
        price: Math.round(price * 1e6) / 1e6,
        volume: 1 + below(random, 1000),
        ts: tsBase + i + below(random, 50),
      };
    }
    return out;
  }

  /** `count` ticks in batches of `size`. */
  batches(count: number, size: number): TickRow[][] {
    const out: TickRow[][] = [];
    for (let left = count; left > 0; left -= size) out.push(this.batch(Math.min(size, left)));
    return out;
  }
}
