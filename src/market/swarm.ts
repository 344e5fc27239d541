/**
 * Swarm: the market domain on a fact database connection. Ingest of market and tick batches
 * (atomic, durable on resolve, concurrent batches sharing disk commits), latest-tick and count
 * reads as of any tx, reflexes and their alerts.
 */
import type { TxReport } from '../db/db.js';
import { type Clock, systemClock } from '../db/ids.js';
import type { Query, QueryLimits } from '../db/query/index.js';
import type { View } from '../db/view.js';
import { fail, GswarmError } from '../errors.js';
import { type Connection, open } from '../store/connection.js';
import { runAtOnce, runInSlices } from '../store/slices.js';
import type { Storage } from '../store/storage.js';
import { type Candle, mergedCandles, type SummaryCandle } from './candles.js';
import { MarketIndex, type TickFacts } from './market-index.js';
import { boundsOf, intentOf, type Reflex, reflexErrors } from './reflex-rules.js';
import { Reflexes, type StoredReflex, toStoredReflex } from './reflexes.js';
import {
  type RetentionOptions,
  retentionHorizon,
  summaryWidthDefaultMs,
  tickAttributes,
} from './retention.js';
import { checkRows, type MarketRow, type TickRow } from './rows.js';
import { marketSchema } from './schema.js';
import type { BucketedOptions } from './sketches/bucketed.js';
import { Sketches } from './sketches/sketches.js';
import { summarySteps } from './summaries.js';
import { planTickBatch } from './tick-batch.js';

/** Budgets and named sources of one query (see Swarm.query). */
export interface SwarmQueryOptions extends Partial<QueryLimits> {
  readonly sources?: Readonly<Record<string, { readonly asOf?: number }>>;
}
export type { Reflex } from './reflex-rules.js';
export type { MarketRow, TickRow } from './rows.js';

export interface IngestResult {
  tx: number;
  accepted: number;
  duplicates: number;
}

export interface LatestTick {
  price: number;
  volume: number;
  ts: number;
  tick: string;
  tx: number;
}

export interface Alert {
  /** The alert's entity id: increases with every alert, so it orders and resumes streams. */
  seq: number;
  reflex: string;
  market: string;
  tick: string;
  value: number;
  tx: number;
  /** The instant of the alert's tx, from the store's clock: one value live and read back. */
  durableAtMs: number;
}

export interface SwarmOptions {
  storage: Storage;
  clock?: Clock;
  checkpointDatoms?: number;
  /** Bucket width, precision, error and snapshot interval of the sketches (src/market/sketches). */
  sketches?: Partial<BucketedOptions>;
  /** The retention window (src/market/retention.ts); absent: every tick is kept. */
  retention?: RetentionOptions;
}

/** How often the pruner looks for a segment to prune. */
export const pruneCheckMs = 1000;
/** The longest the summary of a prune holds the event loop at a time (ms). */
const summarySliceMs = 8;

export class Swarm {
  private index: MarketIndex;
  private readonly indexAttrs: ConstructorParameters<typeof MarketIndex>[1];
  private pruner: NodeJS.Timeout | undefined;
  private pruning: Promise<unknown> | undefined;
  private readonly reflexIndex = new Reflexes();
  private readonly alertListeners = new Set<(alert: Alert) => void>();
  private readonly reflexAttrIds: Set<number>;
  private readonly alertTxAttrId: number;
  /** The last durable alert's seq, once asked for (then kept up to date). */
  private lastAlert: number | undefined;
  /** Distinct and hot markets per event-time window, as of any tx. */
  readonly sketches: Sketches;

  private constructor(
    readonly conn: Connection,
    sketchOptions?: Partial<BucketedOptions>,
  ) {
    const view = conn.view;
    const attr = (ident: string) => view.attributeNamed(ident);
    this.reflexAttrIds = new Set(
      view
        .attributes()
        .filter((a) => a.ident.startsWith('reflex/'))
        .map((a) => a.id),
    );
    this.alertTxAttrId = attr('alert/tx').id;
    this.indexAttrs = {
      market: attr('tick/market'),
      id: attr('tick/id'),
      price: attr('tick/price'),
      volume: attr('tick/volume'),
      ts: attr('tick/ts'),
    };
    this.index = new MarketIndex(view.datomStore, this.indexAttrs);
    conn.listen((report) => this.onDurable(report));
    this.sketches = new Sketches(conn, sketchOptions);
    // A prune replaces the datom store: what indexes it is built again, lazily.
    conn.onPrune(() => {
      this.index = new MarketIndex(conn.view.datomStore, this.indexAttrs);
      this.sketches.reset();
      this.reflexIndex.invalidate();
    });
  }

  static async open(options: SwarmOptions): Promise<Swarm> {
    const swarm = new Swarm(await open({ ...options, schema: marketSchema }), options.sketches);
    if (options.retention) swarm.retain(options.retention, options.clock ?? systemClock);
    return swarm;
  }

  /**
   * Keeps the ticks of the retention window and prunes the rest, checking every `pruneCheckMs`
   * (src/market/retention.ts). A prune refused (its summary too large for a log entry) is told to
   * `onFailed` and tried again at the next check; a failed log write fails the connection too,
   * which its fault listeners hear.
   */
  retain(
    options: RetentionOptions,
    clock: Clock = systemClock,
    onFailed?: (error: GswarmError) => void,
  ): void {
    clearInterval(this.pruner);
    this.pruner = setInterval(() => {
      if (this.pruning !== undefined || !this.conn.accepting) return;
      this.pruning = this.pruneWindow(options, clock.nowMs())
        .catch(prunerFailed(onFailed))
        .finally(() => {
          this.pruning = undefined;
        });
    }, pruneCheckMs);
    this.pruner.unref();
  }

  /**
   * Prunes to the window's horizon if a segment is due, keeping the candles of the ticks it drops
   * (at `summaryWidthMs`); resolves with the horizon in force once the pruned store is in place.
   */
  async pruneWindow(options: RetentionOptions, nowMs: number): Promise<number> {
    const horizon = retentionHorizon(this.conn.view.datomStore, nowMs, options);
    if (horizon === undefined) return this.conn.horizonTx;
    const widthMs = options.summaryWidthMs ?? summaryWidthDefaultMs;
    const summarize = (view: View) => summarySteps(view, horizon, widthMs);
    // Summed up beside ingest, then checked (and made again, rarely) where the prune is planned.
    const summary = await runInSlices(summarize(this.conn.view), summarySliceMs);
    return this.conn.prune(horizon, tickAttributes, (head) =>
      summary.stillValid(head) ? summary.txData : runAtOnce(summarize(head)).txData,
    );
  }

  /** The market layer on an open connection whose database already has the market schema. */
  static on(conn: Connection, sketches?: Partial<BucketedOptions>): Swarm {
    return new Swarm(conn, sketches);
  }

  /** Tx instants and the tx of an instant, as of now (the current view). */
  timeline(): View {
    return this.conn.view;
  }

  /** Stores markets (created or renamed) and ticks atomically; resolves once durable. */
  async ingest(batch: { markets?: readonly MarketRow[]; ticks?: readonly TickRow[] }): Promise<IngestResult> {
    const markets = batch.markets ?? [];
    const ticks = batch.ticks ?? [];
    const { errors: rows, badRows } = checkRows(markets, ticks);
    if (badRows > 0) fail('GSW_ERR_VALUE_TYPE', `${badRows} invalid row(s) in the batch`, { rows });
    let accepted = 0;
    let duplicates = 0;
    const report = await this.conn.transactWith((head, txId) => {
      const planned = planTickBatch(head, markets, ticks);
      accepted = ticks.length - planned.duplicates;
      duplicates = planned.duplicates;
      return [...planned.txData, ...this.reflexIndex.alertsFor(head, txId, planned.newTicks)];
    });
    return { tx: report.tx, accepted, duplicates };
  }

  /** The latest tick (by event time) of each market as of `asOf` (default: now). */
  latest(options: { asOf?: number; markets?: readonly string[] } = {}): {
    basisTx: number;
    counts: { 'tick/id': number; 'market/id': number };
    markets: Record<string, LatestTick>;
  } {
    const view = this.viewAt(options.asOf);
    // Before the schema's tx there are no markets to read, rather than an unknown attribute.
    if (view.attribute('market/id') === undefined)
      return { basisTx: view.basisTx, counts: { 'tick/id': 0, 'market/id': 0 }, markets: {} };
    // Keyed by market ids, which are user data: a Map, then own properties (Object.fromEntries
    // defines them), so a market named `__proto__` is a market like any other.
    const out = new Map<string, LatestTick>();
    const ids = options.markets ?? this.marketIds(view);
    for (const id of ids) {
      const market = view.entityWith(view.attributeNamed('market/id'), id);
      const tick = market === undefined ? undefined : this.index.latest(view, market);
      if (tick)
        out.set(id, { price: tick.price, volume: tick.volume, ts: tick.ts, tick: tick.id, tx: tick.tx });
    }
    return {
      basisTx: view.basisTx,
      counts: { 'tick/id': view.count('tick/id'), 'market/id': view.count('market/id') },
      markets: Object.fromEntries(out),
    };
  }

  /** Number of entities having `attr` as of `asOf`. O(log n). */
  count(attr: string, asOf?: number): { count: number; basisTx: number } {
    const view = this.viewAt(asOf);
    return { count: view.count(attr), basisTx: view.basisTx };
  }

  /**
   * The market's candles at `intervalMs` with event times in [from, to), as of `asOf`: of the ticks
   * held and of the candles kept in place of pruned ones (a kept candle counts by its start).
   */
  candles(
    market: string,
    intervalMs: number,
    options: { from?: number; to?: number; asOf?: number } = {},
  ): Candle[] {
    const view = this.viewAt(options.asOf);
    const from = options.from ?? Number.NEGATIVE_INFINITY;
    const to = options.to ?? Number.POSITIVE_INFINITY;
    const e = view.entityWith(view.attributeNamed('market/id'), market);
    const summaries: (SummaryCandle & { e: number })[] = [];
    const summaryAttr = view.attribute('candle/market');
    if (e !== undefined && summaryAttr !== undefined) {
      for (const candle of view.referrers(e, summaryAttr)) {
        const c = view.pull(candle, ['*'])! as Record<string, number>;
        const start = c['candle/start']!;
        if (start < from || start >= to) continue;
        summaries.push({
          e: candle,
          start,
          open: c['candle/open']!,
          high: c['candle/high']!,
          low: c['candle/low']!,
          close: c['candle/close']!,
          volume: c['candle/volume']!,
          ticks: c['candle/ticks']!,
          openTs: c['candle/openTs']!,
          closeTs: c['candle/closeTs']!,
          openTx: c['candle/openTx'],
          openE: c['candle/openE'],
          closeTx: c['candle/closeTx'],
          closeE: c['candle/closeE'],
        });
      }
    }
    summaries.sort((x, y) => x.start - y.start || x.e - y.e);
    return mergedCandles(summaries, this.tickFacts(view, market, { from, to }), intervalMs);
  }

  /** The market's ticks with ts in [from, to), in event-time order (ties in store order), as of `asOf`. */
  ticks(
    market: string,
    options: { from?: number; to?: number; asOf?: number; limit?: number } = {},
  ): TickRow[] {
    const facts = this.tickFacts(this.viewAt(options.asOf), market, options);
    return facts.map((t: TickFacts) => ({ id: t.id, market, price: t.price, volume: t.volume, ts: t.ts }));
  }

  private tickFacts(
    view: View,
    market: string,
    options: { from?: number; to?: number; limit?: number },
  ): TickFacts[] {
    const e = view.entityWith(view.attributeNamed('market/id'), market);
    if (e === undefined)
      fail('GSW_ERR_NOT_FOUND', `no market ${JSON.stringify(market)} as of tx ${view.basisTx}`);
    return this.index.range(
      view,
      e,
      options.from ?? Number.NEGATIVE_INFINITY,
      options.to ?? Number.POSITIVE_INFINITY,
      options.limit ?? Number.POSITIVE_INFINITY,
    );
  }

  /**
   * Runs a Datalog query (JSON form or EDN string) as of `asOf` (default: now), within the
   * budgets of `options` (default: defaultQueryLimits). `options.sources` names further sources,
   * each the database as of its own tx (default: now): `{ $then: { asOf: t1 }, $now: {} }` joins
   * two points in time in one query (`$` among them sets `$` itself).
   */
  query(
    query: Query | string,
    args: readonly unknown[] = [],
    asOf?: number,
    options: SwarmQueryOptions = {},
  ): unknown {
    const { sources = {}, ...limits } = options;
    const views: Record<string, View> = {};
    for (const [name, source] of Object.entries(sources)) views[name] = this.viewAt(source.asOf);
    const { $ = this.viewAt(asOf), ...named } = views;
    return $.query(query, { ...limits, inputs: args, sources: named });
  }

  /** Creates or replaces the reflex with `reflex.id`; `created` tells which. */
  async putReflex(reflex: Reflex): Promise<{ tx: number; created: boolean }> {
    let created = false;
    const rows = reflexErrors(reflex).map((error) => ({ index: 0, ...error }));
    if (rows.length > 0)
      fail('GSW_ERR_VALUE_TYPE', `invalid reflex: ${rows.map((r) => `${r.field} ${r.message}`).join('; ')}`, {
        rows,
      });
    const report = await this.conn.transactWith((head) => {
      this.reflexIndex.invalidate();
      const market = head.entityWith(head.attributeNamed('market/id'), reflex.market);
      if (market === undefined) {
        fail('GSW_ERR_DANGLING_REF', `market ${JSON.stringify(reflex.market)} does not exist`, {
          rows: [{ index: 0, field: 'market', message: 'does not exist' }],
        });
      }
      const entity: Record<string, unknown> = {
        'db/id': 'reflex',
        'reflex/id': reflex.id,
        'reflex/market': market,
        'reflex/attr': reflex.attr ?? 'tick/price',
      };
      const retractions: unknown[][] = [];
      const stored = { ...boundsOf(reflex), cooldownMs: reflex.cooldownMs };
      for (const field of ['above', 'below', 'band', 'cooldownMs'] as const) {
        const attr = `reflex/${field}`;
        if (stored[field] !== undefined) entity[attr] = stored[field];
        else retractions.push(['db/retract', ['reflex/id', reflex.id], attr]);
      }
      const e = head.entityWith(head.attributeNamed('reflex/id'), reflex.id);
      created = e === undefined || head.pull(e, ['reflex/market'])?.['reflex/market'] === undefined;
      return e === undefined ? [entity] : [entity, ...retractions];
    });
    return { tx: report.tx, created };
  }

  /** The live reflexes. */
  reflexes(): Reflex[] {
    const view = this.conn.view;
    const out: Reflex[] = [];
    view.match(undefined, view.attributeNamed('reflex/market'), undefined, (e) => {
      out.push(publicReflex(this.storedReflex(view, e)));
    });
    return out.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  /** Deletes a reflex (its alerts stay); undefined if there was none. */
  async deleteReflex(id: string): Promise<{ tx: number } | undefined> {
    let found = false;
    const report = await this.conn.transactWith((head) => {
      this.reflexIndex.invalidate();
      const e = head.entityWith(head.attributeNamed('reflex/id'), id);
      found = e !== undefined && head.pull(e, ['reflex/market'])?.['reflex/market'] !== undefined;
      return found ? [['db/retract', e, 'reflex/market']] : [];
    });
    return found ? { tx: report.tx } : undefined;
  }

  /**
   * Stored alerts, ordered by seq, after `sinceTx` and `afterSeq`: the first `limit` of them (a
   * page; the next starts after the last seq). O(log n + page): a seq is the alert's entity id and
   * `alert/tx` is asserted on each alert as it is made, so its datoms are read in seq order from
   * `afterSeq`; and as that tx is the one storing the alert, only the txs after `sinceTx` are read.
   */
  alerts(options: { sinceTx?: number; afterSeq?: number; limit?: number } = {}): Alert[] {
    const view = this.conn.view;
    const sinceTx = options.sinceTx ?? 0;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const page: number[] = [];
    if (limit > 0) {
      // Alerts are never pruned: before the horizon, the whole view holds them all.
      const after = sinceTx + 1 < view.horizonTx ? view : view.since(sinceTx);
      after.seek(view.attributeNamed('alert/tx'), options.afterSeq ?? 0, (e, _a, alertTx) => {
        if ((alertTx as number) > sinceTx) page.push(e);
        return page.length < limit;
      });
    }
    return page.map((e) => {
      const alert = this.alertOf(view, e, 0);
      return { ...alert, durableAtMs: view.txInstant(alert.tx) ?? 0 };
    });
  }

  /** The seq of the last durable alert (0: none yet); later alerts have larger seqs. */
  lastAlertSeq(): number {
    if (this.lastAlert === undefined) {
      const view = this.conn.view;
      let last = 0;
      view.seek(view.attributeNamed('alert/tx'), 0, (e) => {
        last = e;
        return true;
      });
      this.lastAlert = last;
    }
    return this.lastAlert;
  }

  /** Where an alert stream starting now starts: after the last durable alert (one shard). */
  alertCursor(): number[] {
    return [this.lastAlertSeq()];
  }

  /** The first `limit` alerts after the cursor's seq, in seq (and so tx) order. */
  alertsAfter(cursor: readonly number[], limit: number): Alert[] {
    return this.alerts({ afterSeq: cursor[0] ?? 0, limit });
  }

  /** Calls `listener` with each alert once its tx is durable, in seq order. */
  onAlert(listener: (alert: Alert) => void): () => void {
    this.alertListeners.add(listener);
    return () => this.alertListeners.delete(listener);
  }

  commitStats(): { commitLatencyMs: readonly number[]; pendingBatches: number } {
    const stats = this.conn.commitStats();
    return { commitLatencyMs: stats.commitLatencyMs, pendingBatches: stats.pendingTxs };
  }

  /** Bytes of the store on disk (log and checkpoint). Reads the directory: not for hot paths. */
  storeBytes(): number {
    return this.conn.storeBytes();
  }

  /** Whether the store is open and taking writes (not closed, no failed disk write). */
  get accepting(): boolean {
    return this.conn.accepting;
  }

  async close(): Promise<void> {
    clearInterval(this.pruner);
    await this.pruning;
    await this.conn.close();
  }

  private viewAt(asOf: number | undefined): View {
    return asOf === undefined ? this.conn.view : this.conn.asOf(asOf);
  }

  private marketIds(view: View): string[] {
    const ids: string[] = [];
    view.match(undefined, view.attributeNamed('market/id'), undefined, (_e, _a, v) => ids.push(v as string));
    return ids.sort();
  }

  private storedReflex(view: View, e: number): StoredReflex {
    return toStoredReflex(e, view.pull(e, ['*', { 'reflex/market': ['market/id'] }])!);
  }

  private onDurable(report: TxReport): void {
    const record = report.record;
    if (record === undefined) return;
    const datoms = record.datoms;
    if (datoms.hasAttribute(this.reflexAttrIds)) this.reflexIndex.invalidate();
    if (this.alertListeners.size === 0 && this.lastAlert === undefined) return;
    const view = this.conn.view;
    // The tx's instant, from the connection's clock: the value a stored alert reads back.
    const durableAtMs = view.txInstant(record.tx) ?? 0;
    for (let i = 0; i < datoms.length; i++) {
      if (datoms.a(i) !== this.alertTxAttrId || !datoms.added(i)) continue;
      if (this.lastAlert !== undefined) this.lastAlert = Math.max(this.lastAlert, datoms.e(i));
      if (this.alertListeners.size === 0) continue;
      const alert = this.alertOf(view, datoms.e(i), durableAtMs);
      for (const listener of this.alertListeners) listener(alert);
    }
  }

  private alertOf(view: View, e: number, durableAtMs: number): Alert {
    const pulled = view.pull(e, [
      'alert/value',
      'alert/tx',
      { 'alert/reflex': ['reflex/id'] },
      { 'alert/tick': ['tick/id', { 'tick/market': ['market/id'] }] },
    ])!;
    const tick = pulled['alert/tick'] as { 'tick/id': string; 'tick/market': { 'market/id': string } };
    return {
      seq: e,
      reflex: (pulled['alert/reflex'] as { 'reflex/id': string })['reflex/id'],
      market: tick['tick/market']['market/id'],
      tick: tick['tick/id'],
      value: pulled['alert/value'] as number,
      tx: pulled['alert/tx'] as number,
      durableAtMs,
    };
  }
}

/** A pruner's refusal or failure goes to `onFailed`; a bug goes on up. */
export function prunerFailed(onFailed?: (error: GswarmError) => void): (error: unknown) => void {
  return (error) => {
    if (!(error instanceof GswarmError)) throw error;
    onFailed?.(error);
  };
}

function publicReflex(stored: StoredReflex): Reflex {
  const { e: _e, above, below, band, cooldownMs, ...reflex } = stored;
  return {
    ...reflex,
    ...intentOf({ above, below, band }),
    ...(cooldownMs === undefined ? {} : { cooldownMs }),
  };
}
