/**
 * OHLCV candles from a market's ticks, bucketed by event time (`tick/ts`) into UTC-aligned
 * intervals. Pure: the ticks come in already ordered by event time, ties in store order (by tx,
 * then entity id, as `Swarm.ticks` gives them), so a bucket's open is its first tick and its close
 * its last.
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
  /** Its place in store order (the tx that stored it, then its entity id); absent: as given. */
  tx?: number;
  e?: number;
}

/** A tick with its place in store order. */
export type StoredTick = Required<PricedTick>;

/**
 * A candle kept in place of pruned ticks (src/market/retention.ts): their candle at the summary
 * width, with the event times and store places of its open and close, so it merges exactly with
 * the ticks held in the same interval.
 */
export interface SummaryCandle extends Candle {
  openTs: number;
  closeTs: number;
  /** Absent on summaries written before they were kept: such a summary counts as stored first. */
  openTx?: number;
  openE?: number;
  closeTx?: number;
  closeE?: number;
}

/** Where a tick stands in the order candles follow: event time, then store order. */
interface Place {
  ts: number;
  tx: number;
  e: number;
}

const placeOf = (ts: number, tx = Number.NEGATIVE_INFINITY, e = Number.NEGATIVE_INFINITY): Place => ({
  ts,
  tx,
  e,
});

/** Negative, zero or positive as `x` stands before, with or after `y`. */
function comparePlaces(x: Place, y: Place): number {
  return Math.sign(x.ts - y.ts) || Math.sign(x.tx - y.tx) || Math.sign(x.e - y.e) || 0;
}

/** One candle per interval that has ticks, ascending. O(n) over ticks in event-time order. */
export function candlesOf(ticks: readonly PricedTick[], intervalMs: number): Candle[] {
  return mergedCandles([], ticks, intervalMs);
}

/**
 * Candles of summaries (ascending by start, each at most `intervalMs` wide) and of the ticks held
 * (in event-time order, ties in store order), per interval. An open or close shared in event time
 * goes to the one stored first (open) or last (close). O(summaries + ticks).
 */
export function mergedCandles(
  summaries: readonly SummaryCandle[],
  ticks: readonly PricedTick[],
  intervalMs: number,
): Candle[] {
  assert(Number.isSafeInteger(intervalMs) && intervalMs > 0, 'a candle interval is a positive whole ms');
  const candles: Candle[] = [];
  let current: Candle | undefined;
  let openAt = placeOf(Number.NEGATIVE_INFINITY);
  let closeAt = openAt;
  let lastTs = Number.NEGATIVE_INFINITY;
  const take = (piece: Candle, pieceOpen: Place, pieceClose: Place) => {
    const start = Math.floor(piece.start / intervalMs) * intervalMs;
    if (current === undefined || start > current.start) {
      const { open, high, low, close } = piece;
      current = { start, open, high, low, close, volume: 0, ticks: 0 };
      candles.push(current);
      openAt = pieceOpen;
      closeAt = pieceClose;
    }
    // Among equal places (ticks given without one), the first taken opens and the last closes.
    if (comparePlaces(pieceOpen, openAt) < 0) {
      current.open = piece.open;
      openAt = pieceOpen;
    }
    if (comparePlaces(pieceClose, closeAt) >= 0) {
      current.close = piece.close;
      closeAt = pieceClose;
    }
    current.high = Math.max(current.high, piece.high);
    current.low = Math.min(current.low, piece.low);
    current.volume += piece.volume;
    current.ticks += piece.ticks;
  };
  const takeSummary = (c: SummaryCandle) =>
    take(c, placeOf(c.openTs, c.openTx, c.openE), placeOf(c.closeTs, c.closeTx, c.closeE));
  let s = 0;
  for (const { price, volume, ts, tx, e } of ticks) {
    assert(ts >= lastTs, 'ticks arrive in event-time order');
    lastTs = ts;
    const start = Math.floor(ts / intervalMs) * intervalMs;
    // A summary is taken before the ticks of its interval: one without places counts as stored first.
    while (s < summaries.length && summaries[s]!.start < start + intervalMs) takeSummary(summaries[s++]!);
    const at = placeOf(ts, tx, e);
    take({ start: ts, open: price, high: price, low: price, close: price, volume, ticks: 1 }, at, at);
  }
  while (s < summaries.length) takeSummary(summaries[s++]!);
  return candles;
}

/** The summary candles of ticks in event-time order, at `widthMs`. O(n). */
export function summaryCandlesOf(ticks: readonly PricedTick[], widthMs: number): SummaryCandle[] {
  const candles = candlesOf(ticks, widthMs);
  let i = 0;
  return candles.map((candle) => {
    const first = ticks[i]!;
    i += candle.ticks;
    const last = ticks[i - 1]!;
    return {
      ...candle,
      openTs: first.ts,
      closeTs: last.ts,
      ...(first.tx === undefined ? {} : { openTx: first.tx, openE: first.e }),
      ...(last.tx === undefined ? {} : { closeTx: last.tx, closeE: last.e }),
    };
  });
}
