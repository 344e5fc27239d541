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

/**
 * A candle kept in place of pruned ticks (src/market/retention.ts): their candle at the summary
 * width, with the event times of its open and close, so it merges exactly with later ticks of
 * the same interval. Its ticks were all stored before any tick still held.
 */
export interface SummaryCandle extends Candle {
  openTs: number;
  closeTs: number;
}

/** One candle per interval that has ticks, ascending. O(n) over ticks in event-time order. */
export function candlesOf(ticks: readonly PricedTick[], intervalMs: number): Candle[] {
  return mergedCandles([], ticks, intervalMs);
}

/**
 * Candles of summaries (ascending by start, each at most `intervalMs` wide; earlier summaries of
 * one interval first) and of the ticks held (in event-time order), per interval. Summaries come
 * first among equal event times: their ticks were stored earlier. O(summaries + ticks).
 */
export function mergedCandles(
  summaries: readonly SummaryCandle[],
  ticks: readonly PricedTick[],
  intervalMs: number,
): Candle[] {
  assert(Number.isSafeInteger(intervalMs) && intervalMs > 0, 'a candle interval is a positive whole ms');
  const candles: Candle[] = [];
  let current: Candle | undefined;
  let openTs = Number.NEGATIVE_INFINITY;
  let closeTs = Number.NEGATIVE_INFINITY;
  let lastTs = Number.NEGATIVE_INFINITY;
  const take = (piece: SummaryCandle) => {
    const start = Math.floor(piece.start / intervalMs) * intervalMs;
    if (current === undefined || start > current.start) {
      const { open, high, low, close } = piece;
      current = { start, open, high, low, close, volume: 0, ticks: 0 };
      candles.push(current);
      openTs = piece.openTs;
      closeTs = piece.closeTs;
    }
    // Strictly earlier opens, and closes at least as late, win: ties go to what was stored first
    // for the open and last for the close.
    if (piece.openTs < openTs) {
      current.open = piece.open;
      openTs = piece.openTs;
    }
    if (piece.closeTs >= closeTs) {
      current.close = piece.close;
      closeTs = piece.closeTs;
    }
    current.high = Math.max(current.high, piece.high);
    current.low = Math.min(current.low, piece.low);
    current.volume += piece.volume;
    current.ticks += piece.ticks;
  };
  let s = 0;
  for (const { price, volume, ts } of ticks) {
    assert(ts >= lastTs, 'ticks arrive in event-time order');
    lastTs = ts;
    const start = Math.floor(ts / intervalMs) * intervalMs;
    while (s < summaries.length && summaries[s]!.start < start + intervalMs) take(summaries[s++]!);
    take({
      start: ts,
      open: price,
      high: price,
      low: price,
      close: price,
      volume,
      ticks: 1,
      openTs: ts,
      closeTs: ts,
    });
  }
  while (s < summaries.length) take(summaries[s++]!);
  return candles;
}

/** The summary candles of ticks in event-time order, at `widthMs`. O(n). */
export function summaryCandlesOf(ticks: readonly PricedTick[], widthMs: number): SummaryCandle[] {
  const candles = candlesOf(ticks, widthMs);
  let i = 0;
  return candles.map((candle) => {
    const openTs = ticks[i]!.ts;
    i += candle.ticks;
    return { ...candle, openTs, closeTs: ticks[i - 1]!.ts };
  });
}
