/** Timing and statistics helpers. */
export const now = (): number => performance.now();
/** Epoch ms with sub-ms resolution, comparable between processes on one machine. */
export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/** The value below which a fraction `p` (0..1) of `sorted` lies (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((x, y) => x - y),
    0.5,
  );
}

/** Runs `fn` once and returns the elapsed milliseconds. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const start = now();
  await fn();
  return now() - start;
}

/**
 * Runs `pass` (which performs `opsPerPass` operations) once to warm up, then `passes` times, and
 * returns the median time per operation in microseconds.
 */
export function microsPerOp(pass: () => void, opsPerPass: number, passes = 7): number {
  pass();
  const perOp: number[] = [];
  for (let i = 0; i < passes; i++) {
    const start = now();
    pass();
    perOp.push(((now() - start) * 1000) / opsPerPass);
  }
  return median(perOp);
}

/**
 * Median wall time (ms) of `fn`, after one warm-up: runs at least `minRuns` times and until
 * `budgetMs` is spent, at most `maxRuns` times.
 */
export function medianMs(
  fn: () => unknown,
  options: { minRuns?: number; maxRuns?: number; budgetMs?: number } = {},
) {
  const { minRuns = 5, maxRuns = 51, budgetMs = 1000 } = options;
  fn();
  const times: number[] = [];
  const started = now();
  while (times.length < minRuns || (times.length < maxRuns && now() - started < budgetMs)) {
    const start = now();
    fn();
    times.push(now() - start);
  }
  return { ms: median(times), runs: times.length };
}

/** Rounds to 3 significant digits, and prints with thousands separators above 1000. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

/** A ratio as "12.3x". */
export function ratio(x: number): string {
  return `${fmt(x)}x`;
}
