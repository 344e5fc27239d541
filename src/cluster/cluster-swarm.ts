/**
 * The market store of a cluster node: the same questions as the embedded Swarm, answered from
 * this node's replicas of every shard, with writes sent to each shard's leader.
 *
 * - Ingest at any node: the whole batch is checked here (rows, and each part's markets against
 *   this node's replica of its shard, so a bad row or a dangling market refuses the batch before
 *   any part is sent), then split by shard (a market, its ticks, reflexes and alerts live
 *   in `shardOf(market id)`) and each part sent to its shard's leader (src/cluster/shard-service).
 *   The answer's tx is the highest of the parts', so a read as of it shows the whole batch.
 * - Reads are final: a read as of T first closes T on every shard that has not yet passed it (the
 *   leader promises no tx id ≤ T any more and names the log position holding everything ≤ T),
 *   then waits until this node's replica has applied that position. A read without `as_of` reads
 *   as of the cluster clock's now, so it sees every tx acknowledged before it arrived.
 * - Sketch answers merge every shard's sketches as of one settled tx (src/cluster/cluster-sketches).
 * - Tx ids come from each leader's hybrid logical clock, so as-of-T means the same instant on
 *   every shard; closing T relies on the leaders' wall clocks agreeing to well within a second.
 */
import { type Clock, nextTxId, shardOfEntity, systemClock, TX_COUNTER_BITS } from '../db/ids.js';
import { parseQuery } from '../db/query/index.js';
import type { View } from '../db/view.js';
import { fail, GswarmError } from '../errors.js';
import type { Candle } from '../market/candles.js';
import type { RetentionOptions } from '../market/retention.js';
import { checkRows, type MarketRow, type TickRow } from '../market/rows.js';
import type { Alert, IngestResult, LatestTick, Reflex } from '../market/swarm.js';
import { pruneCheckMs, prunerFailed, Swarm } from '../market/swarm.js';
import { refuseDanglingTicks } from '../market/tick-batch.js';
import type { Connection } from '../store/connection.js';
import { ClusterSketches } from './cluster-sketches.js';
import type { ClusterStatus } from './cluster-status.js';
import type { ClusterNode } from './node.js';
import { shardOf } from './shard-map.js';
import { callShard, type ShardRequest, ShardService } from './shard-service.js';

export interface ClusterSwarmOptions {
  /** How long a write may wait for its shards' leaders (a failover in between), ms. */
  writeDeadlineMs?: number;
  /** How long a read may wait for this node's replicas to catch up, ms. */
  readDeadlineMs?: number;
}

/** A part of an ingest batch: the rows of one shard, with their indexes in the batch. */
interface Part {
  shard: number;
  markets: MarketRow[];
  marketIndexes: number[];
  ticks: TickRow[];
  tickIndexes: number[];
}

const writeDeadlineMsDefault = 5_000;
const readDeadlineMsDefault = 5_000;
const catchUpPollMs = 2;
/** Alerts read from one shard at a time. */
const alertsReadMax = 10_000;

export class ClusterSwarm {
  /** Distinct and hot markets over every shard, merged from this node's replicas. */
  readonly sketches = new ClusterSketches(async (given) => {
    const tx = given ?? this.now();
    await this.settle(tx);
    return {
      tx,
      shards: this.swarms.map((_, shard) => ({
        sketches: this.swarm(shard).sketches,
        asOf: this.clamp(shard, tx),
      })),
    };
  });
  private readonly swarms: (Swarm | undefined)[];
  private readonly alertListeners = new Set<(alert: Alert) => void>();
  private readonly forwardListeners = new Set<(ms: number, ok: boolean) => void>();
  /** Per shard, the seq of the last alert passed to listeners. */
  private readonly delivered: (number | undefined)[] = [];
  private readonly service: ShardService;
  private readonly writeDeadlineMs: number;
  private readonly readDeadlineMs: number;
  private pruner: NodeJS.Timeout | undefined;
  /** Per shard, the prune under way on this node, which leads the shard. */
  private readonly pruning: (Promise<void> | undefined)[] = [];

  private constructor(
    readonly node: ClusterNode,
    options: ClusterSwarmOptions,
  ) {
    this.writeDeadlineMs = options.writeDeadlineMs ?? writeDeadlineMsDefault;
    this.readDeadlineMs = options.readDeadlineMs ?? readDeadlineMsDefault;
    this.swarms = new Array(node.shardCount).fill(undefined);
    this.service = new ShardService(node, (shard, request) => this.serve(shard, request));
    node.onLeading((shard, leading) => this.service.leading(shard, leading));
    node.onShard((shard, connection) => this.attach(shard, connection));
  }

  /** The store on `node`, once every shard has its schema (its first leader declares it). */
  static async on(node: ClusterNode, options: ClusterSwarmOptions = {}): Promise<ClusterSwarm> {
    const store = new ClusterSwarm(node, options);
    while (store.swarms.includes(undefined)) await new Promise((resolve) => setTimeout(resolve, 20));
    return store;
  }

  async ingest(batch: { markets?: readonly MarketRow[]; ticks?: readonly TickRow[] }): Promise<IngestResult> {
    const markets = batch.markets ?? [];
    const ticks = batch.ticks ?? [];
    const { errors: rows, badRows } = checkRows(markets, ticks);
    if (badRows > 0) fail('GSW_ERR_VALUE_TYPE', `${badRows} invalid row(s) in the batch`, { rows });
    const parts = this.split(markets, ticks);
    for (const part of parts) {
      const check = () => refuseDanglingTicks(this.swarm(part.shard).conn.view, part.markets, part.ticks);
      try {
        check();
      } catch {
        // The markets may have been acknowledged elsewhere a moment ago: catch up, then decide.
        await this.settleShard(part.shard, this.now(), Date.now() + this.readDeadlineMs);
        this.atPart(part, check);
      }
    }
    const deadlineMs = Date.now() + this.writeDeadlineMs;
    const outcomes = await Promise.allSettled(
      parts.map((part) =>
        this.atPart(part, () =>
          this.call(part.shard, { op: 'ingest', markets: part.markets, ticks: part.ticks }, deadlineMs),
        ),
      ),
    );
    const failed = outcomes.findIndex((o) => o.status === 'rejected');
    if (failed >= 0) {
      const error = (outcomes[failed] as PromiseRejectedResult).reason;
      if (parts.length === 1) throw error;
      const durable = parts.filter((_, i) => outcomes[i]!.status === 'fulfilled').map((p) => p.shard);
      throw new GswarmError(
        error instanceof GswarmError ? error.code : 'GSW_ERR_INVARIANT',
        `${(error as Error).message} — the parts of shards [${durable.join(', ')}] are durable, the others are not; resending the whole batch is safe`,
        { ...(error instanceof GswarmError ? error.data : {}), durableShards: durable },
        error,
      );
    }
    const results = outcomes.map((o) => (o as PromiseFulfilledResult<IngestResult>).value);
    return {
      tx: Math.max(0, ...results.map((r) => r.tx)),
      accepted: results.reduce((sum, r) => sum + r.accepted, 0),
      duplicates: results.reduce((sum, r) => sum + r.duplicates, 0),
    };
  }

  latest(options: { asOf?: number; markets?: readonly string[] } = {}): {
    basisTx: number;
    counts: { 'tick/id': number; 'market/id': number };
    markets: Record<string, LatestTick>;
  } {
    const asOf = options.asOf ?? this.now();
    const counts = { 'tick/id': 0, 'market/id': 0 };
    const markets: Record<string, LatestTick> = {};
    this.swarms.forEach((swarm, shard) => {
      const only = options.markets?.filter((m) => shardOf(m, this.swarms.length) === shard);
      if (only?.length === 0) return;
      const part = swarm!.latest({ asOf: this.clamp(shard, asOf), markets: only });
      counts['tick/id'] += part.counts['tick/id'];
      counts['market/id'] += part.counts['market/id'];
      Object.assign(markets, part.markets);
    });
    return { basisTx: asOf, counts, markets };
  }

  count(attr: string, asOf?: number): { count: number; basisTx: number } {
    const basisTx = asOf ?? this.now();
    let count = 0;
    this.swarms.forEach((swarm, shard) => {
      count += swarm!.count(attr, this.clamp(shard, basisTx)).count;
    });
    return { count, basisTx };
  }

  ticks(
    market: string,
    options: { from?: number; to?: number; asOf?: number; limit?: number } = {},
  ): TickRow[] {
    const shard = shardOf(market, this.swarms.length);
    const asOf = this.clamp(shard, options.asOf ?? this.now());
    return this.swarm(shard).ticks(market, { ...options, asOf });
  }

  candles(
    market: string,
    intervalMs: number,
    options: { from?: number; to?: number; asOf?: number } = {},
  ): Candle[] {
    const shard = shardOf(market, this.swarms.length);
    const asOf = this.clamp(shard, options.asOf ?? this.now());
    return this.swarm(shard).candles(market, intervalMs, { ...options, asOf });
  }

  /**
   * A query runs on every shard's replica and the answers are united: exact for queries whose
   * joins stay within a market (a market's ticks, reflexes and alerts share its shard). Aggregates
   * and single-value find specs would need a merge step per function and are refused.
   */
  query(...[query, args = [], asOf, options = {}]: Parameters<Swarm['query']>): unknown {
    const basis = asOf ?? this.now();
    if (this.swarms.length === 1) return this.swarm(0).query(query, args, this.clamp(0, basis), options);
    const { find } = parseQuery(query);
    if (
      find.shape === 'scalar' ||
      find.shape === 'tuple' ||
      find.elements.some((e) => e.kind === 'aggregate')
    ) {
      fail(
        'GSW_ERR_CLUSTER_UNSUPPORTED',
        `a query with ${find.shape === 'scalar' || find.shape === 'tuple' ? `a ${find.shape} find spec` : 'an aggregate'} spans ${this.swarms.length} shards and is not merged across them; find a relation or a collection, or use /v2/count`,
      );
    }
    const seen = new Set<string>();
    const united: unknown[] = [];
    this.swarms.forEach((swarm, shard) => {
      const sources = Object.fromEntries(
        Object.entries(options.sources ?? {}).map(([name, s]) => [
          name,
          { asOf: this.clamp(shard, s.asOf ?? basis) },
        ]),
      );
      const answer = swarm!.query(query, args, this.clamp(shard, basis), {
        ...options,
        sources,
      }) as unknown[];
      for (const row of answer) {
        const key = JSON.stringify(row);
        if (seen.has(key)) continue;
        seen.add(key);
        united.push(row);
      }
    });
    return united;
  }

  async putReflex(reflex: Reflex): Promise<{ tx: number; created: boolean }> {
    const shard = shardOf(String(reflex.market), this.swarms.length);
    return (await this.call(shard, { op: 'putReflex', reflex }, Date.now() + this.writeDeadlineMs)) as {
      tx: number;
      created: boolean;
    };
  }

  reflexes(): Reflex[] {
    return this.swarms
      .flatMap((swarm) => swarm!.reflexes())
      .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  async deleteReflex(id: string): Promise<{ tx: number } | undefined> {
    // A reflex put at another node a moment ago is found too.
    await this.settle(this.now());
    const shard = this.swarms.findIndex((swarm) => swarm!.reflexes().some((r) => r.id === id));
    if (shard < 0) return undefined;
    return (await this.call(shard, { op: 'deleteReflex', id }, Date.now() + this.writeDeadlineMs)) as
      | { tx: number }
      | undefined;
  }

  /**
   * Stored alerts of every shard in (tx, seq) order after `sinceTx` and after the alert `afterSeq`
   * (seq names its shard: it is the alert's entity id), the first `limit` of them.
   */
  alerts(options: { sinceTx?: number; afterSeq?: number; limit?: number } = {}): Alert[] {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let cursor = { tx: options.sinceTx ?? 0, seq: Number.POSITIVE_INFINITY };
    if (options.afterSeq !== undefined && options.afterSeq > 0) {
      const after = this.alertBySeq(options.afterSeq);
      if (after !== undefined && after.tx >= cursor.tx) cursor = { tx: after.tx, seq: after.seq };
    }
    const merged = this.swarms.flatMap((swarm) => alertsAfter(swarm!, cursor, limit));
    merged.sort((x, y) => x.tx - y.tx || x.seq - y.seq);
    return merged.slice(0, limit);
  }

  /** Per shard, the seq of its last durable alert here: a stream starting now starts after it. */
  alertCursor(): number[] {
    return this.swarms.map((swarm) => swarm!.lastAlertSeq());
  }

  /** The first `limit` alerts after the cursor (per shard, a seq), merged in (tx, seq) order. */
  alertsAfter(cursor: readonly number[], limit: number): Alert[] {
    const merged = this.swarms.flatMap((swarm, shard) =>
      swarm!.alerts({ afterSeq: cursor[shard] ?? 0, limit }),
    );
    merged.sort((x, y) => x.tx - y.tx || x.seq - y.seq);
    return merged.slice(0, limit);
  }

  onForward(listener: (ms: number, ok: boolean) => void): void {
    this.forwardListeners.add(listener);
  }

  onAlert(listener: (alert: Alert) => void): () => void {
    this.alertListeners.add(listener);
    return () => this.alertListeners.delete(listener);
  }

  commitStats(): { commitLatencyMs: readonly number[]; pendingBatches: number } {
    const latencies: number[] = [];
    let pendingBatches = 0;
    for (const swarm of this.swarms) {
      const stats = swarm!.commitStats();
      latencies.push(...stats.commitLatencyMs);
      pendingBatches += stats.pendingBatches;
    }
    return { commitLatencyMs: latencies, pendingBatches };
  }

  /** Open, and every replica accepting (a replica that failed is being reopened). */
  get accepting(): boolean {
    return this.swarms.every((swarm) => swarm?.accepting);
  }

  /** The cluster clock's now as a tx id: a read as of it sees every tx acknowledged before. */
  now(): number {
    return nextTxId(0, Date.now());
  }

  /**
   * Waits until a read as of `tx` is final here: every shard closed through `tx` and this node's
   * replica holding all of it. A tx later than the cluster's clock cannot be closed yet.
   */
  async settle(tx: number): Promise<void> {
    if (tx > this.now()) {
      fail('GSW_ERR_TX_IN_FUTURE', `tx ${tx} is later than the cluster's clock (${this.now()})`, { tx });
    }
    const deadlineMs = Date.now() + this.readDeadlineMs;
    await Promise.all(this.swarms.map((_, shard) => this.settleShard(shard, tx, deadlineMs)));
  }

  /** Closes `tx` on `shard` unless this node's replica has passed it, then waits for the replica. */
  private async settleShard(shard: number, tx: number, deadlineMs: number): Promise<void> {
    if (this.swarm(shard).conn.view.basisTx >= tx) return;
    const position = (await this.call(shard, { op: 'close', tx }, deadlineMs)) as number;
    while (this.swarm(shard).conn.position < position) {
      if (Date.now() > deadlineMs) {
        fail('GSW_ERR_NOT_LEADER', `this node's replica of shard ${shard} is behind; retry`, { shard });
      }
      await new Promise((resolve) => setTimeout(resolve, catchUpPollMs));
    }
  }

  /** A timeline over every shard: tx instants, and the tx of an instant (its clock bound). */
  timeline(): {
    basisTx: number;
    txInstant(tx: number): number | undefined;
    txAtInstant(ms: number): number;
  } {
    return {
      basisTx: this.now(),
      // A tx id's high bits are the wall clock of the leader that assigned it.
      txInstant: (tx) => (tx > 0 ? Math.floor(tx / 2 ** TX_COUNTER_BITS) : undefined),
      // Every tx committed at or before the instant, on any shard, has an id at or below this.
      txAtInstant: (ms) => nextTxId(0, ms + 1) - 1,
    };
  }

  cluster(): ClusterStatus {
    return {
      node: this.node.id,
      shards: this.node.status().map((s) => ({
        shard: s.shard,
        leader: s.leader,
        epoch: s.epoch,
        role: s.role,
        last_seq: Math.max(s.knownLast, s.applied),
        applied_seq: s.applied,
      })),
      nodes: this.node.nodes(),
    };
  }

  /**
   * Prunes every shard this node leads to the retention window (src/market/retention.ts), checking
   * every `pruneCheckMs`. A prune is a record in the shard's stream: every replica prunes at the
   * same position, and a leader's successor goes on from the horizon in force.
   */
  retain(
    options: RetentionOptions,
    clock: Clock = systemClock,
    onFailed?: (error: GswarmError) => void,
  ): void {
    clearInterval(this.pruner);
    this.pruner = setInterval(() => {
      this.swarms.forEach((swarm, shard) => {
        if (swarm === undefined || this.pruning[shard] !== undefined || !this.node.leads(shard)) return;
        this.pruning[shard] = this.node
          .write(shard, () => swarm.pruneWindow(options, clock.nowMs()))
          .then(() => undefined, prunerFailed(onFailed))
          .finally(() => {
            this.pruning[shard] = undefined;
          });
      });
    }, pruneCheckMs);
    this.pruner.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.pruner);
    this.service.close();
    await this.node.close();
  }

  /** Runs a write this node leads (a request from another node, or its own). */
  private async serve(shard: number, request: ShardRequest): Promise<unknown> {
    switch (request.op) {
      case 'ingest':
        return this.node.write(shard, () => this.swarm(shard).ingest(request));
      case 'putReflex':
        return this.node.write(shard, () => this.swarm(shard).putReflex(request.reflex));
      case 'deleteReflex':
        return this.node.write(shard, () => this.swarm(shard).deleteReflex(request.id));
      case 'close':
        return this.node.write(shard, (connection) => connection.closeThrough(request.tx));
    }
  }

  private async call(shard: number, request: ShardRequest, deadlineMs: number): Promise<unknown> {
    const started = performance.now();
    let ok = false;
    try {
      const answer = await callShard(this.node, (s, r) => this.serve(s, r), shard, request, deadlineMs);
      ok = true;
      return answer;
    } finally {
      const ms = performance.now() - started;
      for (const listener of this.forwardListeners) listener(ms, ok);
    }
  }

  /** Builds the market layer on a shard's (re)opened replica, as soon as it has the schema. */
  private attach(shard: number, connection: Connection): void {
    if (!hasMarketSchema(connection.view)) {
      const stop = connection.listen(() => {
        if (!hasMarketSchema(connection.view)) return;
        stop();
        this.attach(shard, connection);
      });
      return;
    }
    const swarm = Swarm.on(connection);
    // Alerts are passed on once each, in seq order per shard: a reopened replica replays what was
    // appended while it reopened without telling listeners, so those are read back from it.
    const pass = (alert: Alert) => {
      if (alert.seq <= this.delivered[shard]!) return;
      this.delivered[shard] = alert.seq;
      for (const listener of this.alertListeners) listener(alert);
    };
    swarm.onAlert(pass);
    if (this.delivered[shard] === undefined) this.delivered[shard] = swarm.lastAlertSeq();
    for (let page = [] as Alert[]; ; ) {
      page = swarm.alerts({ afterSeq: this.delivered[shard], limit: alertsReadMax });
      for (const alert of page) pass(alert);
      if (page.length < alertsReadMax) break;
    }
    this.swarms[shard] = swarm;
  }

  private swarm(shard: number): Swarm {
    const swarm = this.swarms[shard];
    if (swarm === undefined) fail('GSW_ERR_NOT_LEADER', `shard ${shard} has no schema yet; retry`, { shard });
    return swarm;
  }

  /** A read as of `tx` on a shard: its own basis when it has nothing later (it was settled). */
  private clamp(shard: number, tx: number): number {
    return Math.min(tx, this.swarm(shard).conn.view.basisTx);
  }

  /** The alert `seq` names, read from its shard (an entity id's high bits name its shard). */
  private alertBySeq(seq: number): Alert | undefined {
    const [alert] = this.swarms[shardOfEntity(seq)]?.alerts({ afterSeq: seq - 1, limit: 1 }) ?? [];
    return alert?.seq === seq ? alert : undefined;
  }

  private split(markets: readonly MarketRow[], ticks: readonly TickRow[]): Part[] {
    const parts = new Map<number, Part>();
    const partOf = (market: string) => {
      const shard = shardOf(market, this.swarms.length);
      let part = parts.get(shard);
      if (part === undefined) {
        part = { shard, markets: [], marketIndexes: [], ticks: [], tickIndexes: [] };
        parts.set(shard, part);
      }
      return part;
    };
    markets.forEach((m, i) => {
      const part = partOf(m.id);
      part.markets.push(m);
      part.marketIndexes.push(i);
    });
    ticks.forEach((t, i) => {
      const part = partOf(t.market);
      part.ticks.push(t);
      part.tickIndexes.push(i);
    });
    return [...parts.values()].sort((x, y) => x.shard - y.shard);
  }

  /** Runs `work` for a part; an error naming rows names them by their index in the whole batch. */
  private atPart<T>(part: Part, work: () => T): T {
    const remap = (error: unknown) => {
      if (!(error instanceof GswarmError) || !Array.isArray(error.data.rows)) return error;
      const rows = (error.data.rows as { index: number; field: string }[]).map((row) => ({
        ...row,
        index:
          (row.field.startsWith('markets.') ? part.marketIndexes : part.tickIndexes)[row.index] ?? row.index,
      }));
      return new GswarmError(error.code, error.message, { ...error.data, rows }, error);
    };
    try {
      const result = work();
      return (
        result instanceof Promise ? result.catch((error) => Promise.reject(remap(error))) : result
      ) as T;
    } catch (error) {
      throw remap(error);
    }
  }
}

function hasMarketSchema(view: View): boolean {
  return view.attributes().some((a) => a.ident === 'alert/tx');
}

/** `swarm`'s alerts after `cursor` in (tx, seq) order, the first `limit` of them. */
function alertsAfter(swarm: Swarm, cursor: { tx: number; seq: number }, limit: number): Alert[] {
  const out: Alert[] = [];
  // A shard's alerts are in tx order by seq; only those at the cursor's own tx may precede it.
  for (let afterSeq = 0; out.length < limit; ) {
    const page = swarm.alerts({ sinceTx: cursor.tx - 1, afterSeq, limit: Math.min(limit, alertsReadMax) });
    for (const a of page) if (a.tx > cursor.tx || (a.tx === cursor.tx && a.seq > cursor.seq)) out.push(a);
    if (page.length < Math.min(limit, alertsReadMax)) break;
    afterSeq = page.at(-1)!.seq;
  }
  return out.slice(0, limit);
}
