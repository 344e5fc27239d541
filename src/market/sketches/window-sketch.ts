/**
 * The sketches of one slice of the tick stream (one event-time bucket, or a window merged from
 * several, or several shards' windows): distinct markets in a HyperLogLog, tick counts and
 * volumes per market in Count-Min sketches, each with its top-k candidates. Everything in it
 * merges: registers by max, counters by sum, candidates by union re-estimated on the sum.
 */
import { CountMin, type CountMinOptions } from './count-min.js';
import { HyperLogLog } from './hyperloglog.js';
import type { KeyTable } from './key-table.js';
import { TopK } from './top-k.js';

export interface SketchShape {
  /** HyperLogLog precision p (2^p registers). */
  precision: number;
  countMin: CountMinOptions;
  /** Candidates kept for the hot answers: the largest k a query may ask for. */
  topKMax: number;
}

export type HotBy = 'ticks' | 'volume';

export class WindowSketch {
  readonly distinct: HyperLogLog;
  readonly ticks: CountMin;
  readonly volume: CountMin;
  readonly hotByTicks: TopK;
  readonly hotByVolume: TopK;

  constructor(
    readonly shape: SketchShape,
    parts?: Pick<WindowSketch, 'distinct' | 'ticks' | 'volume' | 'hotByTicks' | 'hotByVolume'>,
  ) {
    this.distinct = parts?.distinct ?? new HyperLogLog(shape.precision);
    this.ticks = parts?.ticks ?? CountMin.forError(shape.countMin);
    this.volume = parts?.volume ?? CountMin.forError(shape.countMin);
    this.hotByTicks = parts?.hotByTicks ?? new TopK(shape.topKMax);
    this.hotByVolume = parts?.hotByVolume ?? new TopK(shape.topKMax);
  }

  /** Adds one tick of the market `key` (an id of `keys`). */
  add(keys: KeyTable, key: number, volume: number): void {
    const hi = keys.hi.data[key]!;
    const lo = keys.lo.data[key]!;
    this.distinct.addHash(hi, lo);
    this.hotByTicks.offer(key, this.ticks.addHash(hi, lo, 1));
    this.hotByVolume.offer(key, this.volume.addHash(hi, lo, volume));
  }

  clone(): WindowSketch {
    return new WindowSketch(this.shape, {
      distinct: this.distinct.clone(),
      ticks: this.ticks.clone(),
      volume: this.volume.clone(),
      hotByTicks: this.hotByTicks.clone(),
      hotByVolume: this.hotByVolume.clone(),
    });
  }
}

/** The register-wise max of the parts' HyperLogLogs. */
export function mergeDistinct(shape: SketchShape, parts: readonly WindowSketch[]): HyperLogLog {
  const merged = new HyperLogLog(shape.precision);
  for (const part of parts) merged.merge(part.distinct);
  return merged;
}

export interface HotMerge {
  counts: CountMin;
  /** The union of the parts' candidates (key ids). */
  candidates: Set<number>;
}

/** The sum of the parts' Count-Min sketches for `by`, and the union of their candidates. */
export function mergeHot(shape: SketchShape, parts: readonly WindowSketch[], by: HotBy): HotMerge {
  const counts = CountMin.forError(shape.countMin);
  const candidates = new Set<number>();
  for (const part of parts) {
    counts.merge(by === 'ticks' ? part.ticks : part.volume);
    for (const key of (by === 'ticks' ? part.hotByTicks : part.hotByVolume).candidates()) candidates.add(key);
  }
  return { counts, candidates };
}
