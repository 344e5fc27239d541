/**
 * `gswarm serve --retain`: the retention window as a duration (`90s`, `30m`, `12h`, `7d`) or a
 * tick count (`1000000ticks`), and `--retain-summary`: the width of the candles kept in place of
 * pruned ticks (a candle interval).
 */
import { InvalidArgumentError } from 'commander';
import { type CandleInterval, candleIntervalsMs } from '../market/candles.js';
import type { RetentionOptions } from '../market/retention.js';

const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseRetain(text: string): RetentionOptions {
  const duration = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (duration) {
    const ms = Number(duration[1]) * unitMs[duration[2] as keyof typeof unitMs];
    if (ms > 0 && Number.isSafeInteger(ms)) return { retainMs: ms };
  }
  const ticks = /^(\d+)\s*ticks?$/.exec(text.trim());
  if (ticks && Number.isSafeInteger(Number(ticks[1]))) return { retainTicks: Number(ticks[1]) };
  throw new InvalidArgumentError(
    `expected a duration (a positive whole number of s, m, h or d: 7d) or a tick count (1000000ticks), got ${JSON.stringify(text)}`,
  );
}

export function parseSummaryWidth(text: string): number {
  const ms = candleIntervalsMs[text as CandleInterval];
  if (ms === undefined) {
    throw new InvalidArgumentError(
      `expected one of ${Object.keys(candleIntervalsMs).join(', ')}, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}
