/**
 * The market's sketches, kept beside the store: distinct markets traded, and the hottest markets
 * by tick count and by volume, per event-time bucket, answerable for any window as of any tx.
 *
 * Fed only by durable txs (the connection's listener), so a sketch never counts a tick that
 * could still be lost; built on the first answer from the ticks the store then holds (so an
 * open never waits for it), and kept up to date from then on, so it needs no persistence of its
 * own. Ticks are added in the order of their `tick/market` datoms, built and live alike, so a
 * rebuilt sketch is the very sketch that was kept live. Ticks are write-once, so a sketch only ever adds.
 */
import type { TxReport } from '../../db/db.js';
import type { SchemaAttribute } from '../../db/schema.js';
import type { View } from '../../db/view.js';
import { type BucketedOptions, BucketedSketches, type WindowParts } from './bucketed.js';
import type { CountMin } from './count-min.js';
import { HyperLogLog } from './hyperloglog.js';
import { type HotBy, mergeDistinct, mergeHot } from './window-sketch.js';

/** The tick attributes whose distinct values are sketched (there is no tick source attribute). */
export const distinctAttrs = ['tick/market'] as const;
export type DistinctAttr = (typeof distinctAttrs)[number];

/** What the sketches read and follow: a connection. */
export interface SketchSource {
  readonly view: View;
  asOf(tx: number): View;
  listen(listener: (report: TxReport) => void): () => void;
}

export interface WindowQuery {
  /** Event time, epoch ms, inclusive (rounded down to a bucket); unbounded when absent. */
  from?: number;
  /** Event time, epoch ms, exclusive (rounded up to a bucket); unbounded when absent. */
  to?: number;
  /** Only ticks committed by this tx; every durable tick when absent. */
  asOf?: number;
}

export interface Window {
  /** The window covered: whole buckets; null when unbounded. */
  from: number | null;
  to: number | null;
  basisTx: number;
}

export interface DistinctAnswer extends Window {
  attr: DistinctAttr;
  estimate: number;
  /** The estimate's standard error, relative (1.04 / sqrt(2^p)) and absolute. */
  relativeStandardError: number;
  standardError: number;
}

export interface HotAnswer extends Window {
  by: HotBy;
  /** The hottest markets, estimates descending: each ≥ the truth, and ≤ truth + errorBound w.p. 1 - delta. */
  markets: { market: string; estimate: number }[];
  /** N: the window's total ticks or volume. */
  total: number;
  epsilon: number;
  delta: number;
  /** ε·N. */
  errorBound: number;
}

/** A market that may be among the hottest, with its hash (where Count-Min counts it). */
export interface HotCandidate {
  market: string;
  hi: number;
  lo: number;
}

export interface HotSketch {
  window: Window;
  counts: CountMin;
  candidates: HotCandidate[];
}

/** The answer a window's HyperLogLog gives, with its error. */
export function distinctAnswer(attr: DistinctAttr, window: Window, sketch: HyperLogLog): DistinctAnswer {
  const estimate = Math.round(sketch.estimate());
  const relativeStandardError = HyperLogLog.relativeStandardError(sketch.precision);
  return {
    attr,
    estimate,
    relativeStandardError,
    standardError: relativeStandardError * estimate,
    ...window,
  };
}

/** The k hottest candidates, estimated on `counts`, with the error bound. */
export function hotAnswer(
  by: HotBy,
  k: number,
  window: Window,
  counts: CountMin,
  candidates: readonly HotCandidate[],
): HotAnswer {
  const markets = candidates
    .map(({ market, hi, lo }) => ({ market, estimate: counts.estimateHash(hi, lo) }))
    .sort((x, y) => y.estimate - x.estimate || (x.market < y.market ? -1 : x.market > y.market ? 1 : 0))
    .slice(0, k);
  return {
    by,
    markets,
    total: counts.total,
    epsilon: counts.epsilon,
    delta: counts.delta,
    errorBound: counts.errorBound(),
    ...window,
  };
}

export class Sketches {
  private current: BucketedSketches;
  private readonly marketKeys = new Map<number, number>();
  /** Whether the sketches cover the store: they are built on the first answer, not at open. */
  private built = false;
  private readonly attrs: {
    market: SchemaAttribute;
    ts: SchemaAttribute;
    volume: SchemaAttribute;
    id: SchemaAttribute;
  };

  constructor(
    private readonly source: SketchSource,
    options: Partial<BucketedOptions> = {},
  ) {
    this.current = new BucketedSketches(options);
    const view = source.view;
    this.attrs = {
      market: view.attributeNamed('tick/market'),
      ts: view.attributeNamed('tick/ts'),
      volume: view.attributeNamed('tick/volume'),
      id: view.attributeNamed('market/id'),
    };
    // Building from a large store takes seconds: an open must not wait for it, and a store whose
    // sketches are never asked for never pays for them.
    source.listen((report) => {
      if (this.built) this.onDurable(report);
    });
  }

  get buckets(): BucketedSketches {
    return this.current;
  }

  /**
   * Forgets every bucket: after a prune, the sketches are built again from the ticks kept, on the
   * next answer (so memory follows the retention window).
   */
  reset(): void {
    this.current = new BucketedSketches(this.current.options);
    this.marketKeys.clear();
    this.built = false;
  }

  /** Answer limits: the largest k a hot answer may ask for. */
  get topKMax(): number {
    return this.buckets.options.topKMax;
  }

  distinct(attr: DistinctAttr, query: WindowQuery = {}): DistinctAnswer {
    const { window, sketch } = this.distinctSketch(query);
    return distinctAnswer(attr, window, sketch);
  }

  hot(by: HotBy, k: number, query: WindowQuery = {}): HotAnswer {
    const { window, counts, candidates } = this.hotSketch(by, query);
    return hotAnswer(by, k, window, counts, candidates);
  }

  /** The window's HyperLogLog, before it is answered: what merges across shards. */
  distinctSketch(query: WindowQuery = {}): { window: Window; sketch: HyperLogLog } {
    const { window, parts } = this.windowOf(query);
    return { window, sketch: mergeDistinct(this.buckets.options, parts.parts) };
  }

  /** The window's Count-Min for `by` and its candidates, before they are answered. */
  hotSketch(by: HotBy, query: WindowQuery = {}): HotSketch {
    const { window, parts } = this.windowOf(query);
    const { counts, candidates } = mergeHot(this.buckets.options, parts.parts, by);
    const keys = this.buckets.keys;
    return {
      window,
      counts,
      candidates: [...candidates].map((key) => ({
        market: keys.name(key),
        hi: keys.hi.data[key]!,
        lo: keys.lo.data[key]!,
      })),
    };
  }

  private windowOf(query: WindowQuery): { window: Window; parts: WindowParts } {
    if (!this.built) {
      this.rebuild(this.source.view);
      this.built = true;
    }
    const view = query.asOf === undefined ? this.source.view : this.source.asOf(query.asOf);
    const parts = this.buckets.window(
      query.from ?? Number.NEGATIVE_INFINITY,
      query.to ?? Number.POSITIVE_INFINITY,
      query.asOf === undefined ? Number.POSITIVE_INFINITY : view.basisTx,
    );
    const finite = (x: number) => (Number.isFinite(x) ? x : null);
    return { window: { from: finite(parts.from), to: finite(parts.to), basisTx: view.basisTx }, parts };
  }

  private rebuild(view: View): void {
    view.match(undefined, this.attrs.market, undefined, (tick, _a, market, tx) => {
      this.addTick(
        view,
        tx,
        market as number,
        this.valueOf(view, tick, this.attrs.ts),
        this.valueOf(view, tick, this.attrs.volume),
      );
    });
  }

  /**
   * Adds the tx's ticks. A tick's datoms sit together in a record (entity maps and bulk rows are
   * planned entity by entity), so its time and volume are looked for in its run of datoms first,
   * and read from the view only when absent there.
   */
  private onDurable(report: TxReport): void {
    const record = report.record;
    if (record === undefined) return;
    const datoms = record.datoms;
    const { market, ts, volume } = this.attrs;
    const view = this.source.view;
    let runStart = 0;
    for (let i = 0; i < datoms.length; i++) {
      if (datoms.e(i) !== datoms.e(runStart)) runStart = i;
      if (datoms.a(i) !== market.id || !datoms.added(i)) continue;
      const tick = datoms.e(i);
      let tickTs: number | undefined;
      let tickVolume: number | undefined;
      for (let j = runStart; j < datoms.length && datoms.e(j) === tick; j++) {
        if (!datoms.added(j)) continue;
        if (datoms.a(j) === ts.id) tickTs = datoms.v(j) as number;
        else if (datoms.a(j) === volume.id) tickVolume = datoms.v(j) as number;
      }
      this.addTick(
        view,
        record.tx,
        datoms.v(i) as number,
        tickTs ?? this.valueOf(view, tick, ts),
        tickVolume ?? this.valueOf(view, tick, volume),
      );
    }
  }

  /** A tick without an event time has no bucket and is not sketched; a missing volume counts 0. */
  private addTick(
    view: View,
    tx: number,
    market: number,
    ts: number | undefined,
    volume: number | undefined,
  ): void {
    if (ts === undefined) return;
    let key = this.marketKeys.get(market);
    if (key === undefined) {
      const id = this.valueOf(view, market, this.attrs.id);
      key = this.buckets.keys.intern(id === undefined ? `#${market}` : String(id));
      this.marketKeys.set(market, key);
    }
    this.buckets.add(tx, ts, key, volume ?? 0);
  }

  private valueOf<T = number>(view: View, e: number, attr: SchemaAttribute): T | undefined {
    let value: T | undefined;
    view.matchLean(e, attr, undefined, false, (_e, _a, v) => {
      value = v as T;
    });
    return value;
  }
}
