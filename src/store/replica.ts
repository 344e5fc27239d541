/**
 * A replica of one database: the pure Db, the log it mirrors, and what readers see of it.
 *
 * The replica's view holds durable txs only. Durable entries reach it from any source: a leader's
 * own group commits (`advance`, after its append resolved) or the log itself (`applyEntry`, from
 * `follow`, on a follower). Either way the view moves forward, tx listeners and live queries are
 * told, and checkpoints are written every `checkpointDatoms` datoms and on close. A checkpoint
 * that cannot be written (a full disk) loses only a shortcut: it is reported to fault listeners,
 * never thrown.
 *
 * The leader write path (src/store/connection.ts) sits on top: it may apply planned txs to the Db
 * ahead of the view; a follower never does, so every entry it reads applies at the head.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Db, TxReport } from '../db/db.js';
import type { Query } from '../db/query/index.js';
import { type Change, Subscription, txDatoms } from '../db/subscription.js';
import type { Datom, IndexName } from '../db/types.js';
import type { View } from '../db/view.js';
import { fail, GswarmError } from '../errors.js';
import type { EpochRecord } from '../log/epoch-record.js';
import type { LogEntry, TxLog } from '../log/log.js';
import { decodeLogRecord, type LogRecord } from '../log/log-record.js';
import type { PruneRecord } from '../log/prune-record.js';
import { writeCheckpoint } from './checkpoint.js';
import { runInSlices } from './slices.js';

export type TxListener = (report: TxReport) => void;

/** Something an operator must hear of: the connection failed, or a checkpoint was not written. */
export type Fault =
  | { kind: 'failed'; error: GswarmError }
  | { kind: 'checkpoint-failed'; error: GswarmError };

/** What a persistent replica keeps on disk besides its log. */
export interface Disk {
  checkpointPath: string;
  /** Datoms the checkpoint loaded at open covers (0 without one). */
  checkpointedDatoms: number;
  /** The latest epoch record at or before the position opened at (a shard's replica). */
  epoch: EpochRecord | undefined;
  /** The position of a prune replayed at open, whose log entries before it are still held. */
  prunedAt?: number;
  unlock: () => void;
}

export const checkpointDatomsDefault = 20_000_000;
/** The longest a prune's build holds the event loop at a time (ms). */
export const pruneSliceMsDefault = 8;

export class Replica {
  protected durableTxIndex: number;
  protected logPosition: number;
  /** Datoms applied since the last checkpoint (replayed at open, appended, followed). */
  protected uncheckpointedDatoms: number;
  protected current: View;
  protected closed = false;
  private readonly checkpointDatoms: number;
  private readonly pruneSliceMs: number;
  private readonly listeners = new Set<TxListener>();
  private readonly recordListeners = new Set<(record: LogRecord, position: number) => void>();
  private readonly subscriptions = new Set<{
    subscription: Subscription;
    onChange: (change: Change) => void;
  }>();
  private readonly faultListeners = new Set<(fault: Fault) => void>();
  private readonly pruneListeners = new Set<(prune: PruneRecord) => void>();
  /** Positions of prunes whose log entries before them may go once a checkpoint covers them. */
  private readonly prunedAt: number[] = [];
  /** The prune being built, if one is. */
  private compaction: Promise<void> | undefined;
  /** Whether a prune was applied since the last checkpoint began. */
  private pruneUncheckpointed = false;
  /** Checkpoints called for and not yet written. */
  private checkpointsPending = 0;
  private readonly checkpointPath: string | undefined;
  /** The checkpoint being written (resolved when none is). */
  private checkpointing: Promise<void> = Promise.resolve();
  /** The latest epoch record applied: a checkpoint keeps it, as the log before it is not replayed. */
  private epoch: EpochRecord | undefined;
  /** The last checkpoint failure, until a checkpoint succeeds. */
  checkpointError: GswarmError | undefined;

  constructor(
    protected readonly db: Db,
    protected readonly log: TxLog,
    logPosition: number,
    options: { checkpointDatoms?: number; pruneSliceMs?: number },
    private readonly disk: Disk | undefined,
  ) {
    this.checkpointDatoms = options.checkpointDatoms ?? checkpointDatomsDefault;
    this.pruneSliceMs = options.pruneSliceMs ?? pruneSliceMsDefault;
    this.durableTxIndex = db.store.txCount - 1;
    this.logPosition = logPosition;
    this.checkpointPath = disk?.checkpointPath;
    this.epoch = disk?.epoch;
    if (disk?.prunedAt !== undefined) this.prunedAt.push(disk.prunedAt);
    this.uncheckpointedDatoms = db.store.datomCount - (disk?.checkpointedDatoms ?? db.store.datomCount);
    this.current = db.view(this.durableTxIndex);
  }

  /** The current view: every durable tx, nothing else. */
  get view(): View {
    return this.current;
  }

  get basisTx(): number {
    return this.current.basisTx;
  }

  /** The last log position this replica has applied. */
  get position(): number {
    return this.logPosition;
  }

  asOf(tx: number): View {
    return this.current.asOf(tx);
  }

  since(tx: number): View {
    return this.current.since(tx);
  }

  history(): View {
    return this.current.history();
  }

  pull(e: number, pattern: readonly unknown[]): Record<string, unknown> | null {
    return this.current.pull(e, pattern);
  }

  entity(e: number): Record<string, unknown> | null {
    return this.current.entity(e);
  }

  datoms(index: IndexName, ...components: unknown[]): Datom[] {
    return this.current.datoms(index, ...components);
  }

  count(attr: string): number {
    return this.current.count(attr);
  }

  /** Runs a Datalog query on the current view. */
  q(query: Query | string, ...inputs: unknown[]): unknown {
    return this.current.q(query, ...inputs);
  }

  /**
   * A live query: `onChange` gets the whole result at once (`initial`), then, after each durable
   * tx that changes it, the rows added and removed. Returns the unsubscribe function.
   */
  subscribe(query: Query | string, onChange: (change: Change) => void, ...inputs: unknown[]): () => void {
    const subscription = new Subscription(query, inputs);
    const entry = { subscription, onChange };
    onChange(subscription.start(this.current));
    this.subscriptions.add(entry);
    return () => this.subscriptions.delete(entry);
  }

  /** Calls `listener` with the report of every tx once it is durable. */
  listen(listener: TxListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` with every record (tx or epoch) applied from the log by `applyEntry`. */
  listenRecords(listener: (record: LogRecord, position: number) => void): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  /** Calls `listener` after each prune, once the view holds the pruned store. */
  onPrune(listener: (prune: PruneRecord) => void): () => void {
    this.pruneListeners.add(listener);
    return () => this.pruneListeners.delete(listener);
  }

  /** The retention horizon: reads as of a tx before it are refused (0: nothing was pruned). */
  get horizonTx(): number {
    return this.db.store.horizonTx;
  }

  /** Calls `listener` when the connection fails or a checkpoint cannot be written. */
  onFault(listener: (fault: Fault) => void): () => void {
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }

  /** Bytes of the log and checkpoint on disk (0 in memory). Reads the directory. */
  storeBytes(): number {
    if (this.checkpointPath === undefined) return 0;
    const dir = dirname(this.checkpointPath);
    return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  }

  /**
   * Applies a durable entry read from the log. Entries at or before the replica's position (its
   * own appends, seen again by `follow`) are skipped; a gap is corruption. Only for a replica
   * whose Db holds nothing beyond its view (a follower, or a leader with nothing in flight).
   */
  applyEntry(entry: LogEntry): void {
    if (entry.position <= this.logPosition) return;
    if (entry.position !== this.logPosition + 1) {
      fail('GSW_ERR_LOG_CORRUPT', `the log skipped from entry ${this.logPosition} to ${entry.position}`, {
        position: entry.position,
      });
    }
    if (this.db.store.txCount - 1 !== this.durableTxIndex) {
      fail('GSW_ERR_FENCED', 'a durable entry arrived while txs of this replica are in flight', {
        position: entry.position,
      });
    }
    let reports: TxReport[] = [];
    let afterTx = this.db.store.lastTxId;
    const records = entry.records.map((bytes) => {
      const record = decodeLogRecord(bytes, afterTx);
      if (record.kind === 'tx') afterTx = record.tx.tx;
      return record;
    });
    for (const record of records) {
      if (record.kind === 'tx') reports.push(this.db.replay(record.tx));
      else if (record.kind === 'epoch') this.epoch = record.epoch;
      else {
        // The reports so far name tx indices of the store the prune replaces: tell them first.
        this.advance(entry.position, reports, false);
        reports = [];
        this.applyPrune(record.prune, entry.position);
      }
    }
    this.advance(entry.position, reports);
    for (const record of records) {
      for (const listener of this.recordListeners) notify(listener, record, entry.position);
    }
  }

  /**
   * Applies every entry the log gets after this replica's position, as it becomes durable, until
   * `signal` aborts or the log closes. A failure (a corrupt entry) ends it with that error.
   */
  async follow(signal?: AbortSignal): Promise<void> {
    for await (const entry of this.log.follow(this.logPosition, { signal })) this.applyEntry(entry);
  }

  /**
   * Writes a checkpoint of the durable view (persistent storage only): never call it with txs in
   * flight. The image is taken now and written in the background, one checkpoint at a time (a
   * call while one is being written waits for it and takes the next). A failure is kept in
   * `checkpointError` and told to fault listeners; the promise never rejects with it.
   */
  checkpoint(): Promise<void> {
    const path = this.checkpointPath;
    if (path === undefined) return Promise.resolve();
    // The store being pruned is not checkpointed (see checkpointIfDue): the pruned one is.
    if (this.compaction !== undefined) return this.compacted().then(() => this.checkpoint());
    // Counted as done even if it fails, so a full disk is retried only after as many datoms again.
    this.uncheckpointedDatoms = 0;
    this.pruneUncheckpointed = false;
    const image = this.db.store.image();
    const position = this.logPosition;
    const epoch = this.epoch;
    const write = async () => {
      try {
        await writeCheckpoint(path, image, position, { epoch });
        this.checkpointError = undefined;
        await this.dropPruned(position);
      } catch (error) {
        if (!(error instanceof GswarmError)) throw error;
        this.checkpointError = error;
        this.tell({ kind: 'checkpoint-failed', error });
      }
    };
    this.checkpointsPending++;
    const written = this.checkpointing.then(write).finally(() => {
      this.checkpointsPending--;
    });
    this.checkpointing = written;
    return written;
  }

  /**
   * Applies a durable prune at `position`: reads as of a tx before its horizon are refused at once,
   * and the pruned store is built in slices of about `pruneSliceMs` of the event loop while txs go
   * on (one prune at a time, in log order, none while a checkpoint is written), then replaces the
   * Db's store; the view moves to it, prune listeners hear of it, and a checkpoint of it follows
   * (see checkpointIfDue), after which the log's entries before the prune are dropped (at once in
   * memory, where no checkpoint is kept).
   */
  protected applyPrune(prune: PruneRecord, position: number): void {
    this.prunedAt.push(position);
    const steps = () => this.db.pruneInSteps(prune.horizonTx, prune.attributes);
    // After the prune before it, and after a checkpoint being written: its image holds a store,
    // and two stores at a time are enough. With none before it, the first step runs now: it
    // refuses reads before the horizon before this returns.
    let after = this.compaction;
    let build: Generator<void, void, void> | undefined;
    if (after === undefined) {
      build = steps();
      if (build.next().done) return;
      after = this.checkpointing;
    }
    const compaction: Promise<void> = after
      .then(() => this.compact(build ?? steps(), prune))
      .finally(() => {
        if (this.compaction === compaction) this.compaction = undefined;
      });
    this.compaction = compaction;
  }

  /** Resolves once no prune is being built. */
  async compacted(): Promise<void> {
    while (this.compaction) await this.compaction;
  }

  /** Whether nothing is applied beyond the durable view: only then may a checkpoint be taken. */
  protected get quiet(): boolean {
    return this.db.store.txCount - 1 === this.durableTxIndex;
  }

  private async compact(steps: Generator<void, void, void>, prune: PruneRecord): Promise<void> {
    const basisTx = this.current.basisTx;
    await runInSlices(steps, this.pruneSliceMs);
    // The store was replaced: the durable view is the same tx in it.
    this.durableTxIndex = this.db.store.txIndexAsOf(Math.max(basisTx, this.current.basisTx));
    this.current = this.db.view(this.durableTxIndex);
    for (const listener of this.pruneListeners) notify(listener, prune);
    if (this.checkpointPath === undefined) {
      await this.dropPruned(Number.POSITIVE_INFINITY).catch((error: unknown) => {
        if (!(error instanceof GswarmError)) throw error;
        this.tell({ kind: 'checkpoint-failed', error });
      });
    } else {
      this.pruneUncheckpointed = true;
      if (this.quiet) this.checkpointIfDue();
    }
  }

  /** Drops the log's entries before the latest prune a checkpoint at `covered` holds. */
  private async dropPruned(covered: number): Promise<void> {
    let latest: number | undefined;
    while (this.prunedAt.length > 0 && this.prunedAt[0]! <= covered) latest = this.prunedAt.shift();
    if (latest !== undefined) await this.log.dropBefore?.(latest);
  }

  /** Closes the log and releases the directory, after a last checkpoint if one is due. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeReplica(true);
  }

  /**
   * Records that the log holds everything up to `position`, `reports` being its txs (already in
   * the Db): moves the view, tells listeners and live queries, checkpoints when one is due.
   */
  protected advance(position: number, reports: readonly TxReport[], checkpointDue = true): void {
    this.logPosition = position;
    for (const report of reports) this.uncheckpointedDatoms += report.record?.datoms.length ?? 0;
    // By tx id: a report's txIndex is of the store it was committed to, which a prune may replace.
    const lastReport = reports[reports.length - 1];
    const last = lastReport === undefined ? -1 : this.db.store.txIndexAsOf(lastReport.tx);
    if (last > this.durableTxIndex) {
      this.durableTxIndex = last;
      this.current = this.db.view(last);
    }
    for (const report of reports) {
      for (const listener of this.listeners) notify(listener, report);
      this.updateSubscriptions(report);
    }
    if (checkpointDue) this.checkpointIfDue();
  }

  /**
   * Starts a checkpoint when `checkpointDatoms` datoms arrived since the last, or, after a prune,
   * once half as many as the store holds did: then the log before the prune can go, and the log
   * stays within about half the store's size without a checkpoint per prune. Not while one is
   * being written.
   */
  protected checkpointIfDue(): void {
    // A checkpoint of the store being pruned would hold what its prune record, before the
    // checkpoint's position, will never be replayed to drop.
    if (this.checkpointsPending > 0 || this.compaction !== undefined) return;
    const since = this.uncheckpointedDatoms;
    if (
      since >= this.checkpointDatoms ||
      (this.pruneUncheckpointed && since >= this.db.store.datomCount / 2)
    ) {
      // Not awaited: the write goes on in the background. A failure is told, never thrown; only a
      // bug rejects, and an unhandled rejection stops the process.
      void this.checkpoint();
    }
  }

  protected async closeReplica(checkpoint: boolean): Promise<void> {
    try {
      await this.compacted();
      const due = this.pruneUncheckpointed || this.uncheckpointedDatoms > 0;
      if (checkpoint && due) await this.checkpoint();
      else await this.checkpointing;
      await this.log.close();
    } finally {
      this.disk?.unlock();
    }
  }

  protected tell(fault: Fault): void {
    for (const listener of this.faultListeners) notify(listener, fault);
  }

  private updateSubscriptions(report: TxReport): void {
    if (this.subscriptions.size === 0) return;
    const txIndex = this.db.store.txIndexAsOf(report.tx);
    const before = this.db.view(txIndex - 1);
    const after = this.db.view(txIndex);
    const datoms = txDatoms(report.datoms);
    for (const { subscription, onChange } of this.subscriptions) {
      const change = subscription.update(before, after, datoms);
      if (change.added.length > 0 || change.removed.length > 0) notify(onChange, change);
    }
  }
}

/** A throwing listener must not break the commit pipeline; its error surfaces on its own. */
export function notify<T extends unknown[]>(listener: (...values: T) => void, ...values: T): void {
  try {
    listener(...values);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
