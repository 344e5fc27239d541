/**
 * The pure fact database: tx data and a tx id/instant in, a report out. No I/O, no clock: the
 * caller (src/store) decides the tx id, persists the record and publishes the report.
 *
 * `transact` validates the whole tx first (planTx) and only then appends, so a refused tx leaves
 * the store untouched. `replay` appends a record of already-validated datoms (from the log).
 */
import { assert } from './assert.js';
import type { DatomColumns } from './datom-columns.js';
import { DatomStore } from './datoms.js';
import { entityBase } from './ids.js';
import { startPrune } from './prune.js';
import type { Schema } from './schema.js';
import { planTx, type TxPlan } from './transact.js';
import type { Datom, Value } from './types.js';
import { toRaw } from './values.js';
import { View } from './view.js';

/** What a committed tx did. */
export interface TxReport {
  readonly tx: number;
  readonly txIndex: number;
  readonly instantMs: number;
  /** Tempid → the entity id it resolved to. */
  readonly tempids: Record<string, number>;
  /** The datoms the tx added (assertions and retractions); empty when it changed nothing. */
  readonly datoms: Datom[];
  /** The same datoms in the log's columnar form (absent when the tx changed nothing). */
  readonly record?: TxRecord;
}

/**
 * A report whose Datom objects and tempids object are only made if someone reads them (a batch
 * of entity maps has a tempid per map, and an object of a thousand keys costs more to build than
 * the rest of its planning).
 */
function txReport(
  record: TxRecord,
  txIndex: number,
  schema: Schema,
  tempidMap: ReadonlyMap<string, number>,
): TxReport {
  let datoms: Datom[] | undefined;
  let tempids: Record<string, number> | undefined;
  return {
    tx: record.tx,
    txIndex,
    instantMs: record.instantMs,
    get tempids() {
      tempids ??= Object.fromEntries(tempidMap);
      return tempids;
    },
    record,
    get datoms() {
      const columns = record.datoms;
      datoms ??= Array.from({ length: columns.length }, (_, i) => {
        const attr = schema.attributeById(columns.a(i))!;
        const normal = columns.v(i);
        const v: Value = attr.valueType === 'vector' ? (JSON.parse(normal as string) as number[]) : normal;
        return { e: columns.e(i), a: attr.ident, v, tx: record.tx, added: columns.added(i) };
      });
      return datoms;
    },
  };
}

/** A tx as the log keeps it: resolved datoms, replayable without re-validation. */
export interface TxRecord {
  readonly tx: number;
  readonly instantMs: number;
  readonly datoms: DatomColumns;
}

export interface DbOptions {
  shard?: number;
  /** Limit on datoms in one tx. */
  txDatomsMax?: number;
}

export const txDatomsMaxDefault = 5_000_000;

/** The record `commit` would append for `plan`, without appending it; undefined if it changes nothing. */
export function planRecord(plan: TxPlan, txId: number, instantMs: number): TxRecord | undefined {
  if (plan.datoms.length === 0) return undefined;
  return { tx: txId, instantMs, datoms: plan.datoms.columns };
}

export class Db {
  private current: DatomStore;
  readonly txDatomsMax: number;

  constructor(options: DbOptions = {}, store?: DatomStore) {
    this.current = store ?? new DatomStore(entityBase(options.shard ?? 0));
    this.txDatomsMax = options.txDatomsMax ?? txDatomsMaxDefault;
  }

  /** The datom store; a prune replaces it (views taken before keep the old one). */
  get store(): DatomStore {
    return this.current;
  }

  /**
   * Drops the datoms of `attributes` committed before tx `horizonTx` (src/db/prune.ts), for good:
   * later reads as of a tx before the horizon are refused. Attributes not (yet) declared prune
   * nothing.
   */
  prune(horizonTx: number, attributes: readonly string[]): void {
    for (const _ of this.pruneInSteps(horizonTx, attributes));
  }

  /**
   * The same prune in steps, for a caller to spread over many turns of the event loop while txs
   * go on: reads as of a tx before the horizon are refused from the first step, and the store is
   * replaced by the pruned one in the last (views taken before keep the old one).
   */
  *pruneInSteps(horizonTx: number, attributes: readonly string[]): Generator<void, void, void> {
    const store = this.current;
    if (horizonTx <= store.horizonTx) return;
    const schema = store.schema;
    const ids = new Set(attributes.flatMap((ident) => schema.attribute(ident)?.id ?? []));
    const build = startPrune(store, horizonTx, ids);
    store.horizonTx = horizonTx;
    yield* build.steps;
    assert(this.current === store, 'one prune at a time');
    this.current = build.finish();
  }

  /** Validates `txData` against the head without changing anything. */
  plan(txData: unknown): TxPlan {
    return planTx(this.store, txData, this.txDatomsMax);
  }

  /** Appends a validated plan as tx `txId`; returns undefined if the plan changes nothing. */
  commit(plan: TxPlan, txId: number, instantMs: number): TxReport | undefined {
    const record = planRecord(plan, txId, instantMs);
    if (record === undefined) return undefined;
    const txIndex = this.append(record);
    assert(
      plan.newEntities === 0 ||
        this.store.localOf(plan.firstNewId + plan.newEntities - 1) === this.store.localMax,
      'new entities got the planned ids',
    );
    return txReport(record, txIndex, this.store.schemaAt(txIndex), plan.tempids);
  }

  /** Appends a record of validated datoms read back from the log. */
  replay(record: TxRecord): TxReport {
    const txIndex = this.append(record);
    return txReport(record, txIndex, this.store.schemaAt(txIndex), new Map());
  }

  private append(record: TxRecord): number {
    const store = this.store;
    store.beginTx(record.tx, record.instantMs);
    const columns = record.datoms;
    for (let i = 0; i < columns.length; i++) {
      const e = columns.e(i);
      while (store.localOf(e) < 0) {
        assert(e - store.entityBase > store.localMax, 'a new entity takes the next local');
        store.allocateEntity();
      }
      const attr = store.schema.attributeById(columns.a(i));
      assert(attr !== undefined, 'a record names attributes of the schema');
      store.append(store.localOf(e), attr.slot, toRaw(store.strings, columns.v(i), true), columns.added(i));
    }
    store.endTx();
    return store.txCount - 1;
  }

  /** The view after tx index `txIndex` (default: the head). */
  view(txIndex = this.store.txCount - 1): View {
    return new View(this.store, txIndex);
  }
}
