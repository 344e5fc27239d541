/**
 * OHLCV candles from a market's ticks, bucketed by event time (`tick/ts`) into UTC-aligned
 * intervals. Pure: the ticks come in already ordered by event time, ties by tx (as
 * `Swarm.ticks` gives them), so a bucket's open is its first tick and its close its last.
 */
import { assert } from '../db/assert.js';

export const candleIntervalsMs = {
  '1s': 1000,
  '1m': 60_000,
  '5m': 300_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
} as const;
export type CandleInterval = keyof typeof candleIntervalsMs;

export interface Candle {
  /** The bucket's first event time, epoch ms (a multiple of the interval). */
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  ticks: number;
}

export interface PricedTick {
  price: number;
  volume: number;
  ts: number;
}

/** One candle per interval that has ticks, ascending. O(n) over ticks in event-time order. */
export function candlesOf(ticks: readonly PricedTick[], intervalMs: number): Candle[] {
  assert(Number.isSafeInteger(intervalMs) && intervalMs > 0, 'a candle interval is a positive whole ms');
  const candles: Candle[] = [];
  let current: Candle | undefined;
  let lastTs = Number.NEGATIVE_INFINITY;
  for (const { price, volume, ts } of ticks) {
    assert(ts >= lastTs, 'ticks arrive in event-time order');
    lastTs = ts;
    const start = Math.floor(ts / intervalMs) * intervalMs;
    if (current === undefined || current.start !== start) {
      current = { start, open: price, high: price, low: price, close: price, volume: 0, ticks: 0 };
      candles.push(current);
    }
    current.high = Math.max(current.high, price);
    current.low = Math.min(current.low, price);
    current.close = price;
    current.volume += volume;
    current.ticks += 1;
  }
  return candles;
}
