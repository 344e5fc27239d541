/**
 * A running replica of one database: the pure Db plus its log, a clock and a commit pipeline.
 *
 * transact plans and applies a tx in memory at once (so later txs validate against it), then
 * queues its record. One flush at a time appends every queued record in a single log write
 * (group commit); only when that write is durable do the txs' promises resolve, does the current
 * view move forward, and are listeners told. Readers therefore never see a tx that could still
 * be lost. If a log write fails the connection fails: in-memory state may be ahead of the log,
 * so every later call is refused and a reopen recovers from the log, which is the truth.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatomStore } from '../db/datoms.js';
import { Db, planRecord, type TxReport } from '../db/db.js';
import { type Clock, nextTxId, systemClock } from '../db/ids.js';
import type { Query } from '../db/query/index.js';
import { schemaTxData } from '../db/schema.js';
import { type Change, Subscription, txDatoms } from '../db/subscription.js';
import type { Datom, IndexName, SchemaSpec } from '../db/types.js';
import type { View } from '../db/view.js';
import { fail, GswarmError } from '../errors.js';
import { entryBytes, recordsFitting } from '../log/entry-codec.js';
import { LmdbLog } from '../log/lmdb-log.js';
import type { TxLog } from '../log/log.js';
import { decodeLogRecord, encodeLogRecord } from '../log/log-record.js';
import { MemoryLog } from '../log/memory-log.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { Storage } from './storage.js';

export interface OpenOptions {
  /** Where checkpoints go, and the log unless `log` is given. */
  storage: Storage;
  /** The log to replay and append to, instead of the storage's own (e.g. a JetStream log). */
  log?: TxLog;
  /** Attributes to declare (or re-declare) on open; already-declared ones add nothing. */
  schema?: SchemaSpec;
  clock?: Clock;
  shard?: number;
  txDatomsMax?: number;
  /** Datoms appended between automatic checkpoints. */
  checkpointDatoms?: number;
}

export type TxListener = (report: TxReport) => void;

interface Queued {
  record: Uint8Array | undefined;
  report: TxReport;
  resolve: (report: TxReport) => void;
  reject: (error: unknown) => void;
}

const checkpointDatomsDefault = 20_000_000;
const commitWindow = 64;

export async function open(options: OpenOptions): Promise<Connection> {
  const { storage } = options;
  let db = new Db(options);
  let logPosition = 0;
  let checkpointPath: string | undefined;
  if (storage.kind === 'persistent') {
    mkdirSync(storage.path, { recursive: true });
    checkpointPath = join(storage.path, 'checkpoint');
    const checkpoint = readCheckpointOrNone(checkpointPath);
    if (checkpoint) {
      db = new Db(options, checkpoint.store);
      logPosition = checkpoint.logPosition;
    }
  }
  const log =
    options.log ?? (storage.kind === 'memory' ? new MemoryLog() : new LmdbLog(join(storage.path, 'log.mdb')));
  for await (const entry of log.read(logPosition)) {
    logPosition = entry.position;
    for (const bytes of entry.records) {
      // Epoch records say who leads; they carry no datoms.
      const record = decodeLogRecord(bytes);
      if (record.kind === 'tx') db.replay(record.tx);
    }
  }
  const connection = new Connection(db, log, logPosition, options, checkpointPath);
  if (options.schema) await connection.transact(schemaTxData(options.schema));
  return connection;
}

function readCheckpointOrNone(path: string) {
  try {
    const checkpoint = readCheckpoint(path);
    return (
      checkpoint && { store: DatomStore.fromImage(checkpoint.image), logPosition: checkpoint.logPosition }
    );
  } catch (error) {
    // An unreadable checkpoint is only a lost shortcut: the log holds everything.
    if (error instanceof GswarmError && error.code === 'GSW_ERR_CHECKPOINT') return undefined;
    throw error;
  }
}

export class Connection {
  private readonly clock: Clock;
  private readonly checkpointDatoms: number;
  private durableTxIndex: number;
  private logPosition: number;
  private checkpointedDatoms: number;
  private current: View;
  private queue: Queued[] = [];
  private flushing: Promise<void> | undefined;
  private failure: GswarmError | undefined;
  private closed = false;
  private readonly listeners = new Set<TxListener>();
  private readonly subscriptions = new Set<{
    subscription: Subscription;
    onChange: (change: Change) => void;
  }>();
  private readonly commitLatenciesMs: number[] = [];

  constructor(
    private readonly db: Db,
    private readonly log: TxLog,
    logPosition: number,
    options: OpenOptions,
    private readonly checkpointPath: string | undefined,
  ) {
    this.clock = options.clock ?? systemClock;
    this.checkpointDatoms = options.checkpointDatoms ?? checkpointDatomsDefault;
    this.durableTxIndex = db.store.txCount - 1;
    this.logPosition = logPosition;
    this.checkpointedDatoms = db.store.datomCount;
    this.current = db.view(this.durableTxIndex);
  }

  /** The current view: every durable tx, nothing else. */
  get view(): View {
    return this.current;
  }

  get basisTx(): number {
    return this.current.basisTx;
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

  /**
   * Commits `txData` atomically; resolves once the tx is durable with what it did. A tx that
   * changes nothing (every fact already true) takes no tx id and resolves with the basis tx once
   * everything before it is durable.
   */
  async transact(txData: unknown): Promise<TxReport> {
    return this.transactWith(() => txData);
  }

  /**
   * Like transact, with tx data built from the head (every applied tx, durable or not: the state
   * the tx will be validated against) and the tx id the tx will get if it changes anything. The
   * builder runs synchronously just before planning, so no other tx can come between.
   */
  async transactWith(build: (head: View, txId: number) => unknown): Promise<TxReport> {
    this.checkOpen();
    const store = this.db.store;
    const instantMs = this.clock.nowMs();
    const txId = nextTxId(store.lastTxId, instantMs);
    const plan = this.db.plan(build(this.db.view(), txId));
    const planned = planRecord(plan, txId, instantMs);
    const record = planned && encodeLogRecord({ kind: 'tx', tx: planned });
    if (record && entryBytes([record]) > this.log.entryBytesMax) {
      fail(
        'GSW_ERR_TX_TOO_LARGE',
        `the tx takes ${record.byteLength} bytes in the log, more than one log entry holds (entryBytesMax ${this.log.entryBytesMax})`,
        { bytes: record.byteLength, entryBytesMax: this.log.entryBytesMax },
      );
    }
    const committed = this.db.commit(plan, txId, instantMs);
    const report: TxReport = committed ?? {
      tx: store.lastTxId,
      txIndex: store.txCount - 1,
      instantMs,
      tempids: plan.tempids,
      datoms: [],
    };
    return this.enqueue(record, report);
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

  /** Recent commit latencies (ms, newest last) and the queue depth: for backpressure. */
  commitStats(): { commitLatencyMs: readonly number[]; pendingTxs: number } {
    return { commitLatencyMs: this.commitLatenciesMs, pendingTxs: this.queue.length };
  }

  /** Bytes of the log and checkpoint on disk (0 in memory). Reads the directory. */
  storeBytes(): number {
    if (this.checkpointPath === undefined) return 0;
    const dir = dirname(this.checkpointPath);
    return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  }

  /** Finishes queued commits, writes a checkpoint and closes the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    if (this.failure === undefined && this.db.store.datomCount > this.checkpointedDatoms) this.checkpoint();
    await this.log.close();
  }

  /** Writes a checkpoint now (persistent storage only). Only call with nothing queued. */
  checkpoint(): void {
    if (this.checkpointPath === undefined) return;
    writeCheckpoint(this.checkpointPath, this.db.store.image(), this.logPosition);
    this.checkpointedDatoms = this.db.store.datomCount;
  }

  /** Whether transacts are taken: not closed, and no log write has failed. */
  get accepting(): boolean {
    return !this.closed && this.failure === undefined;
  }

  private checkOpen(): void {
    if (this.failure) throw this.failure;
    if (this.closed) fail('GSW_ERR_CLOSED', 'the database is closed');
  }

  private enqueue(record: Uint8Array | undefined, report: TxReport): Promise<TxReport> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, report, resolve, reject });
      this.flushing ??= new Promise((done) => setImmediate(() => this.flushAll().finally(done)));
    });
  }

  private async flushAll(): Promise<void> {
    while (this.queue.length > 0 && this.failure === undefined) {
      // A group is one log entry, so it holds what fits one.
      const size = recordsFitting(
        this.queue.map((q) => q.record),
        this.log.entryBytesMax,
      );
      const group = this.queue.slice(0, size);
      this.queue = this.queue.slice(size);
      await this.flushGroup(group);
    }
    this.flushing = undefined;
    if (
      this.failure === undefined &&
      this.db.store.datomCount - this.checkpointedDatoms >= this.checkpointDatoms
    ) {
      this.checkpoint();
    }
  }

  private async flushGroup(group: Queued[]): Promise<void> {
    const records = group.flatMap((q) => (q.record ? [q.record] : []));
    const started = performance.now();
    try {
      if (records.length > 0) {
        this.logPosition = await this.log.append(records, { expectedLast: this.logPosition });
      }
    } catch (error) {
      this.failure =
        error instanceof GswarmError
          ? error
          : new GswarmError(
              'GSW_ERR_STORE_FAILED',
              `log append failed: ${(error as Error).message}`,
              {},
              error,
            );
      for (const q of [...group, ...this.queue]) q.reject(this.failure);
      this.queue = [];
      return;
    }
    this.recordLatency(performance.now() - started);
    const last = group[group.length - 1]!.report.txIndex;
    if (last > this.durableTxIndex) {
      this.durableTxIndex = last;
      this.current = this.db.view(last);
    }
    for (const q of group) q.resolve(q.report);
    for (const q of group) {
      if (q.record === undefined) continue;
      for (const listener of this.listeners) notify(listener, q.report);
      this.updateSubscriptions(q.report);
    }
  }

  private updateSubscriptions(report: TxReport): void {
    if (this.subscriptions.size === 0) return;
    const before = this.db.view(report.txIndex - 1);
    const after = this.db.view(report.txIndex);
    const datoms = txDatoms(report.datoms);
    for (const { subscription, onChange } of this.subscriptions) {
      const change = subscription.update(before, after, datoms);
      if (change.added.length > 0 || change.removed.length > 0) notify(onChange, change);
    }
  }

  private recordLatency(ms: number): void {
    this.commitLatenciesMs.push(ms);
    if (this.commitLatenciesMs.length > commitWindow) this.commitLatenciesMs.shift();
  }
}

/** A throwing listener must not break the commit pipeline; its error surfaces on its own. */
function notify<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
