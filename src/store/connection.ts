/**
 * A database you can write: a replica (src/store/replica.ts) with the leader write path on top,
 * tx ids from a clock, planning, and a commit pipeline.
 *
 * transact plans and applies a tx in memory at once (so later txs validate against it), then
 * queues its record. One flush at a time appends every queued record in a single log write
 * (group commit); only when that write is durable do the txs' promises resolve, does the current
 * view move forward, and are listeners told. Readers therefore never see a tx that could still
 * be lost. If a log write fails, or applying a tx breaks an invariant, the connection fails:
 * in-memory state may be ahead of the log (or half-written), so every later write is refused,
 * fault listeners hear of it, and a reopen recovers from the log, which is the truth. That is
 * also how a deposed leader (its append refused by the fence, GSW_ERR_FENCED) drops what it
 * planned but never got durable: it reopens from its checkpoint and the log's tail.
 *
 * A persistent store takes an exclusive lock on its directory (src/store/dir-lock.ts) and checks
 * its LMDB file before mapping it (src/log/lmdb-check.ts). A checkpoint is also written after a
 * long replay at open.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatomStore } from '../db/datoms.js';
import { Db, planRecord, type TxReport } from '../db/db.js';
import { type Clock, nextTxId, systemClock } from '../db/ids.js';
import { schemaTxData } from '../db/schema.js';
import type { SchemaSpec } from '../db/types.js';
import type { View } from '../db/view.js';
import { fail, GswarmError } from '../errors.js';
import { entryBytes, recordsFitting } from '../log/entry-codec.js';
import type { EpochRecord } from '../log/epoch-record.js';
import { checkLmdbFile } from '../log/lmdb-check.js';
import { LmdbLog } from '../log/lmdb-log.js';
import type { LogEntry, TxLog } from '../log/log.js';
import { encodeLogRecord } from '../log/log-record.js';
import { MemoryLog } from '../log/memory-log.js';
import { readCheckpoint } from './checkpoint.js';
import { lockDirectory } from './dir-lock.js';
import { replayLog } from './replay.js';
import { type Disk, Replica } from './replica.js';
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
  /** The longest a prune's build holds the event loop at a time (ms; 0: one step at a time). */
  pruneSliceMs?: number;
  /** Datoms replayed from the log at open from which a checkpoint is written at once. */
  replayCheckpointDatoms?: number;
  /**
   * Hears the latest epoch (leadership) record a checkpoint holds (with the checkpoint's position),
   * then every one replayed after it at open, with its position.
   */
  onEpoch?: (epoch: EpochRecord, position: number) => void;
}

export type { Fault, TxListener } from './replica.js';

interface Queued {
  record: Uint8Array | undefined;
  report: TxReport;
  resolve: (report: TxReport) => void;
  reject: (error: unknown) => void;
}

const replayCheckpointDatomsDefault = 1_000_000;
const commitWindow = 64;

export async function open(options: OpenOptions): Promise<Connection> {
  const { storage } = options;
  let connection: Connection;
  if (storage.kind === 'memory') {
    const db = new Db(options);
    const log = options.log ?? new MemoryLog();
    const position = await replayLog(db, log, 0, 'the log', { onEpoch: options.onEpoch });
    connection = new Connection(db, log, position, options, undefined);
  } else {
    mkdirSync(storage.path, { recursive: true });
    const unlock = lockDirectory(storage.path);
    try {
      connection = await openDirectory(storage.path, options, unlock);
    } catch (error) {
      unlock();
      throw error;
    }
  }
  try {
    if (options.schema) await connection.transact(schemaTxData(options.schema));
  } catch (error) {
    await connection.close();
    throw error;
  }
  return connection;
}

async function openDirectory(dir: string, options: OpenOptions, unlock: () => void): Promise<Connection> {
  const checkpointPath = join(dir, 'checkpoint');
  const logPath = options.log ? 'the log' : join(dir, 'log.mdb');
  if (!options.log) checkLmdbFile(logPath);
  const log = options.log ?? new LmdbLog(logPath);
  try {
    const checkpoint = await readCheckpointOrNone(checkpointPath);
    const db = checkpoint ? new Db(options, checkpoint.store) : new Db(options);
    const checkpointedDatoms = db.store.datomCount;
    const from = checkpoint?.logPosition ?? 0;
    const last = await log.last();
    if (from > last) {
      fail(
        'GSW_ERR_LOG_CORRUPT',
        `log ${logPath} ends at entry ${last}, before the checkpoint's position ${from}: entries were lost`,
        { file: logPath, position: last + 1 },
      );
    }
    let epoch = checkpoint?.epoch;
    if (epoch) options.onEpoch?.(epoch, from);
    let prunedAt: number | undefined;
    const position = await replayLog(db, log, from, logPath, {
      onEpoch: (replayed, at) => {
        epoch = replayed;
        options.onEpoch?.(replayed, at);
      },
      onPrune: (at) => {
        prunedAt = at;
      },
    });
    const connection = new Connection(db, log, position, options, {
      checkpointPath,
      checkpointedDatoms,
      epoch,
      prunedAt,
      unlock,
    });
    const replayed = db.store.datomCount - checkpointedDatoms;
    // A prune replayed here is checkpointed at once, so the log before it can go.
    const due = replayed >= (options.replayCheckpointDatoms ?? replayCheckpointDatomsDefault);
    if (prunedAt !== undefined || (replayed > 0 && due)) await connection.checkpoint();
    return connection;
  } catch (error) {
    await log.close();
    throw error;
  }
}

async function readCheckpointOrNone(path: string) {
  try {
    const checkpoint = await readCheckpoint(path);
    return (
      checkpoint && {
        store: DatomStore.fromImage(checkpoint.image),
        logPosition: checkpoint.logPosition,
        epoch: checkpoint.epoch,
      }
    );
  } catch (error) {
    // An unreadable checkpoint is only a lost shortcut: the log holds everything.
    if (error instanceof GswarmError && error.code === 'GSW_ERR_CHECKPOINT') return undefined;
    throw error;
  }
}

/**
 * The leader write path over a replica: tx ids, planning, and group commit with the fence.
 */
export class Connection extends Replica {
  private readonly clock: Clock;
  private queue: Queued[] = [];
  private flushing: Promise<void> | undefined;
  private failure: GswarmError | undefined;
  private readonly commitLatenciesMs: number[] = [];
  /** No tx id at or below this is assigned any more (see closeThrough). */
  private txFloor = 0;
  /** The prune under way: transacts wait for it. */
  private pruning: Promise<void> | undefined;

  constructor(db: Db, log: TxLog, logPosition: number, options: OpenOptions, disk: Disk | undefined) {
    super(db, log, logPosition, options, disk);
    this.clock = options.clock ?? systemClock;
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
    while (this.pruning) await this.pruning;
    this.checkOpen();
    const { record, report } = this.stage(build, []);
    return this.enqueue(record, report);
  }

  /**
   * Plans `build`'s tx data against the head and applies it to the Db: its record, not yet durable.
   * The record must fit one log entry beside the records `alongside`.
   */
  private stage(
    build: (head: View, txId: number) => unknown,
    alongside: readonly Uint8Array[],
  ): { record?: Uint8Array; report: TxReport } {
    const store = this.db.store;
    const instantMs = this.clock.nowMs();
    const txId = nextTxId(Math.max(store.lastTxId, this.txFloor), instantMs);
    const plan = this.db.plan(build(this.db.view(), txId));
    const planned = planRecord(plan, txId, instantMs);
    const record = planned && encodeLogRecord({ kind: 'tx', tx: planned });
    if (record && entryBytes([record, ...alongside]) > this.log.entryBytesMax) {
      fail(
        'GSW_ERR_TX_TOO_LARGE',
        `the tx takes ${record.byteLength} bytes in the log, more than one log entry holds (entryBytesMax ${this.log.entryBytesMax})`,
        { bytes: record.byteLength, entryBytesMax: this.log.entryBytesMax },
      );
    }
    let committed: TxReport | undefined;
    try {
      committed = this.db.commit(plan, txId, instantMs);
    } catch (error) {
      // The store may hold part of the tx: nothing after it can be trusted until a reopen.
      throw this.fail(
        new GswarmError(
          'GSW_ERR_INVARIANT',
          `applying tx ${txId} failed, the database refuses all writes until it is reopened: ${(error as Error).message}`,
          { tx: txId },
          error,
        ),
      );
    }
    const report: TxReport = committed ?? {
      tx: store.lastTxId,
      txIndex: store.txCount - 1,
      instantMs,
      tempids: Object.fromEntries(plan.tempids),
      datoms: [],
    };
    return { record, report };
  }

  /**
   * Prunes (src/db/prune.ts): drops the datoms of `attributes` committed before tx `horizonTx`
   * from the database, and the log entries before the prune once a checkpoint covers it. The
   * prune is a record in the log, so every replica prunes at the same position. Transacts wait
   * until the record is durable (the commits in flight finish, the record is appended); the
   * pruned store is then built while they go on, and this resolves once it is in place.
   * `summary` builds a tx (from the head, before the prune) that goes into the same log entry
   * just before the prune record: what is kept in place of the pruned datoms lands with the prune
   * or not at all. Resolves with the horizon in force (unchanged when `horizonTx` is not past it).
   */
  async prune(
    horizonTx: number,
    attributes: readonly string[],
    summary?: (head: View, txId: number) => unknown,
  ): Promise<number> {
    while (this.pruning) await this.pruning;
    this.checkOpen();
    if (horizonTx <= this.horizonTx) return this.horizonTx;
    if (!Number.isSafeInteger(horizonTx) || horizonTx > this.db.store.lastTxId) {
      fail('GSW_ERR_TX_IN_FUTURE', `a retention horizon must be a tx already stored, not ${horizonTx}`, {
        tx: horizonTx,
        lastTx: this.db.store.lastTxId,
      });
    }
    const pruned = (async () => {
      await this.drained();
      this.checkOpen();
      const prune = { horizonTx, attributes };
      const pruneRecord = encodeLogRecord({ kind: 'prune', prune });
      const staged = summary && this.stage(summary, [pruneRecord]);
      const records = [...(staged?.record ? [staged.record] : []), pruneRecord];
      const position = await this.appendOrFail(records);
      if (position === undefined) return;
      this.advance(position, staged?.record ? [staged.report] : [], false);
      this.applyPrune(prune, position);
    })();
    this.pruning = pruned;
    try {
      await pruned;
    } finally {
      this.pruning = undefined;
    }
    this.checkOpen();
    await this.compacted();
    return this.horizonTx;
  }

  /** Recent commit latencies (ms, newest last) and the queue depth: for backpressure. */
  commitStats(): { commitLatencyMs: readonly number[]; pendingTxs: number } {
    return { commitLatencyMs: this.commitLatenciesMs, pendingTxs: this.queue.length };
  }

  /**
   * Finishes queued commits, writes a checkpoint if the log holds datoms the last one does not
   * (replayed at open or written since), closes the log and releases the directory.
   */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await this.closeReplica(this.failure === undefined);
  }

  /**
   * Closes tx `tx`: no later transact gets a tx id at or below it, and once this resolves every tx
   * at or below it is durable (or failed), up to the log position it resolves with. A reader that
   * has applied the log to that position sees all there will ever be as of `tx`.
   */
  async closeThrough(tx: number): Promise<number> {
    this.txFloor = Math.max(this.txFloor, tx);
    await this.drained();
    return this.position;
  }

  protected override get quiet(): boolean {
    return super.quiet && this.flushing === undefined;
  }

  /** Resolves once no commit is in flight (queued txs included). */
  async drained(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Whether transacts are taken: not closed, and not failed (by a log write or an invariant). */
  get accepting(): boolean {
    return !this.closed && this.failure === undefined;
  }

  /**
   * Applies a durable entry another writer appended (a follower's path). Refused once this
   * connection has failed: its Db may hold txs the log does not, and only a reopen drops them.
   * Skipped while txs are in flight: the entry is either this connection's own append (about to
   * be advanced over) or another writer's, and then the fence refuses that append and the
   * connection fails.
   */
  override applyEntry(entry: LogEntry): void {
    if (this.failure) throw this.failure;
    if (this.flushing !== undefined || this.db.store.txCount - 1 !== this.durableTxIndex) return;
    super.applyEntry(entry);
  }

  private checkOpen(): void {
    if (this.failure) throw this.failure;
    if (this.closed) fail('GSW_ERR_CLOSED', 'the database is closed');
  }

  /** Fails the connection: refuses every queued and later write. Returns the failure. */
  private fail(error: GswarmError): GswarmError {
    if (this.failure !== undefined) return this.failure;
    this.failure = error;
    for (const q of this.queue) q.reject(error);
    this.queue = [];
    this.tell({ kind: 'failed', error });
    return error;
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
    // Only here is nothing in flight, so the Db holds durable txs only.
    if (this.failure === undefined) this.checkpointIfDue();
  }

  private async flushGroup(group: Queued[]): Promise<void> {
    const records = group.flatMap((q) => (q.record ? [q.record] : []));
    const started = performance.now();
    const position = records.length > 0 ? await this.appendOrFail(records) : this.logPosition;
    if (position === undefined) {
      for (const q of group) q.reject(this.failure);
      return;
    }
    this.recordLatency(performance.now() - started);
    this.advance(
      position,
      group.flatMap((q) => (q.record ? [q.report] : [])),
      false,
    );
    for (const q of group) q.resolve(q.report);
  }

  /** Appends `records` as one entry after the replica's position; a failure fails the connection. */
  private async appendOrFail(records: readonly Uint8Array[]): Promise<number | undefined> {
    try {
      return await this.log.append(records, { expectedLast: this.logPosition });
    } catch (error) {
      this.fail(
        error instanceof GswarmError
          ? error
          : new GswarmError(
              'GSW_ERR_STORE_FAILED',
              `log append failed: ${(error as Error).message}`,
              {},
              error,
            ),
      );
      return undefined;
    }
  }

  private recordLatency(ms: number): void {
    this.commitLatenciesMs.push(ms);
    if (this.commitLatenciesMs.length > commitWindow) this.commitLatenciesMs.shift();
  }
}
