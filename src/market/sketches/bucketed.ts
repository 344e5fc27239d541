/**
 * Sketches per event-time bucket, answerable as of any tx.
 *
 * Each bucket (event time [i·bucketMs, (i+1)·bucketMs)) keeps:
 * - its live sketches (every tick committed so far), which answer any as-of at or after the last
 *   tx that touched the bucket: for a bucket whose minute is over, that is nearly every as-of;
 * - a log of its ticks in commit order (a uint32 key and a float64 volume per tick, with the tx
 *   of each run of ticks from one tx), and a snapshot of the sketches after every
 *   `snapshotTicks` of them. The bucket as of an earlier tx T is the last snapshot taken at or
 *   before T's count of ticks plus a replay of at most `snapshotTicks` logged ticks: exact (the
 *   very sketch that T's ticks would build), and bounded in work.
 *
 * So a sketch answer as of T uses only ticks committed by T. Memory is O(ticks) for the log
 * (12 bytes a tick, plus a snapshot per `snapshotTicks`); retention, which drops whole buckets
 * behind its horizon, is what will bound it. Sketches derive from committed ticks only: they are
 * rebuilt from the store on open.
 *
 * A window [from, to) is rounded outward to whole buckets and is the merge of its buckets.
 */
import { assert } from '../../db/assert.js';
import { Column, f64, lastAtMost, u32 } from '../../db/columns.js';
import { KeyTable } from './key-table.js';
import { type SketchShape, WindowSketch } from './window-sketch.js';

export interface BucketedOptions extends SketchShape {
  /** Event-time width of a bucket. */
  bucketMs: number;
  /** Ticks of a bucket between two snapshots: the most an as-of answer replays per bucket. */
  snapshotTicks: number;
}

export const bucketedDefaults: BucketedOptions = {
  bucketMs: 60_000,
  precision: 14,
  countMin: { epsilon: 0.005, delta: 0.01, conservative: false },
  topKMax: 64,
  snapshotTicks: 16_384,
};

/** The buckets covering a window, and the window they cover (rounded outward). */
export interface WindowParts {
  from: number;
  to: number;
  parts: WindowSketch[];
}

/**
 * Room for a bucket's first ticks: growing from a handful in steps of 1.5 was a sixth of the
 * per-tick cost, and this is small beside a bucket's sketches (about 60 KiB).
 */
const bucketTicksInitial = 2048;

class Bucket {
  readonly live: WindowSketch;
  /** The tx of each run of ticks from one tx, ascending. */
  private readonly runTx: Column<Float64Array> = f64();
  /** The number of logged ticks after each run. */
  private readonly runEnd: Column<Uint32Array> = u32();
  private readonly keys = new Column(Uint32Array, bucketTicksInitial);
  private readonly volumes = new Column(Float64Array, bucketTicksInitial);
  /** snapshots[j]: the sketches after (j + 1) · snapshotTicks ticks. */
  private readonly snapshots: WindowSketch[] = [];

  constructor(private readonly options: BucketedOptions) {
    this.live = new WindowSketch(options);
  }

  get lastTx(): number {
    return this.runTx.length === 0 ? Number.NEGATIVE_INFINITY : this.runTx.last();
  }

  add(table: KeyTable, tx: number, key: number, volume: number): void {
    assert(tx >= this.lastTx, 'ticks reach a bucket in tx order');
    if (tx !== this.lastTx) {
      this.runTx.push(tx);
      this.runEnd.push(this.keys.length);
    }
    this.keys.push(key);
    this.volumes.push(volume);
    this.runEnd.set(this.runEnd.length - 1, this.keys.length);
    this.live.add(table, key, volume);
    if (this.keys.length % this.options.snapshotTicks === 0) this.snapshots.push(this.live.clone());
  }

  /** The sketches of the ticks committed by `tx` (the live ones themselves when nothing is later). */
  asOf(table: KeyTable, tx: number): WindowSketch | undefined {
    if (tx >= this.lastTx) return this.live;
    const run = lastAtMost(this.runTx.data, this.runTx.length, tx);
    if (run < 0) return undefined;
    const ticks = this.runEnd.get(run);
    const snapshot = Math.floor(ticks / this.options.snapshotTicks);
    const sketch = snapshot === 0 ? new WindowSketch(this.options) : this.snapshots[snapshot - 1]!.clone();
    for (let i = snapshot * this.options.snapshotTicks; i < ticks; i++) {
      sketch.add(table, this.keys.get(i), this.volumes.get(i));
    }
    return sketch;
  }
}

export class BucketedSketches {
  readonly options: BucketedOptions;
  readonly keys = new KeyTable();
  private readonly buckets = new Map<number, Bucket>();
  private lastIndex = Number.NaN;
  private lastBucket: Bucket | undefined;

  constructor(options: Partial<BucketedOptions> = {}) {
    this.options = { ...bucketedDefaults, ...options };
    const { bucketMs, snapshotTicks } = this.options;
    assert(Number.isInteger(bucketMs) && bucketMs >= 1, 'bucketMs is a positive integer');
    assert(Number.isInteger(snapshotTicks) && snapshotTicks >= 1, 'snapshotTicks is a positive integer');
  }

  get bucketCount(): number {
    return this.buckets.size;
  }

  /** Adds a committed tick: its tx (never below an earlier tick's), event time, market and volume. */
  add(tx: number, ts: number, key: number, volume: number): void {
    const index = Math.floor(ts / this.options.bucketMs);
    // Ticks come mostly in event-time order: the last bucket is nearly always the one.
    let bucket = index === this.lastIndex ? this.lastBucket : this.buckets.get(index);
    if (bucket === undefined) {
      bucket = new Bucket(this.options);
      this.buckets.set(index, bucket);
    }
    this.lastIndex = index;
    this.lastBucket = bucket;
    bucket.add(this.keys, tx, key, volume);
  }

  /**
   * The sketches of the buckets overlapping [from, to), each as of `asOf` (every committed tick
   * when undefined), and the whole-bucket window they cover. The parts may be the live sketches:
   * merge them into a new sketch, never into a part.
   */
  window(from: number, to: number, asOf: number = Number.POSITIVE_INFINITY): WindowParts {
    const { bucketMs } = this.options;
    const first = Math.floor(from / bucketMs);
    const end = Math.ceil(to / bucketMs);
    const parts: WindowSketch[] = [];
    const visit = (index: number, bucket: Bucket) => {
      if (index < first || index >= end) return;
      const sketch = bucket.asOf(this.keys, asOf);
      if (sketch !== undefined) parts.push(sketch);
    };
    if (Number.isFinite(end - first) && end - first <= this.buckets.size) {
      for (let i = first; i < end; i++) {
        const bucket = this.buckets.get(i);
        if (bucket !== undefined) visit(i, bucket);
      }
    } else {
      for (const [index, bucket] of this.buckets) visit(index, bucket);
    }
    return { from: first * bucketMs, to: end * bucketMs, parts };
  }
}
