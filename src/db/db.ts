/**
 * The pure fact database: tx data and a tx id/instant in, a report out. No I/O, no clock: the
 * caller (src/store) decides the tx id, persists the record and publishes the report.
 *
 * `transact` validates the whole tx first (planTx) and only then appends, so a refused tx leaves
 * the store untouched. `replay` appends a record of already-validated datoms (from the log).
 */
import { assert } from './assert.js';
import { DatomStore } from './datoms.js';
import { entityBase } from './ids.js';
import { planTx, type TxPlan } from './transact.js';
import type { Datom, Value } from './types.js';
import { type Normal, toRaw } from './values.js';
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
}

/** A tx as the log keeps it: resolved datoms, replayable without re-validation. */
export interface TxRecord {
  readonly tx: number;
  readonly instantMs: number;
  readonly e: number[];
  /** Attribute entity ids. */
  readonly a: number[];
  readonly v: Normal[];
  readonly added: boolean[];
}

export interface DbOptions {
  shard?: number;
  /** Limit on datoms in one tx. */
  txDatomsMax?: number;
}

export const txDatomsMaxDefault = 5_000_000;

export class Db {
  readonly store: DatomStore;
  readonly txDatomsMax: number;

  constructor(options: DbOptions = {}, store?: DatomStore) {
    this.store = store ?? new DatomStore(entityBase(options.shard ?? 0));
    this.txDatomsMax = options.txDatomsMax ?? txDatomsMaxDefault;
  }

  /** Validates `txData` against the head without changing anything. */
  plan(txData: unknown): TxPlan {
    return planTx(this.store, txData, this.txDatomsMax);
  }

  /** Appends a validated plan as tx `txId`; returns undefined if the plan changes nothing. */
  commit(plan: TxPlan, txId: number, instantMs: number): { report: TxReport; record: TxRecord } | undefined {
    if (plan.datoms.length === 0) return undefined;
    const record: TxRecord = {
      tx: txId,
      instantMs,
      e: plan.datoms.map((d) => d.e),
      a: plan.datoms.map((d) => d.attr.id),
      v: plan.datoms.map((d) => d.value),
      added: plan.datoms.map((d) => d.added),
    };
    const report = this.replay(record);
    assert(
      this.store.localMax === this.store.localOf(plan.firstNewId - 1 + plan.newEntities) ||
        plan.newEntities === 0,
      'new entities got the planned ids',
    );
    return { report: { ...report, tempids: plan.tempids }, record };
  }

  /** Appends a record of validated datoms (from `commit`, or read back from the log). */
  replay(record: TxRecord): TxReport {
    const store = this.store;
    store.beginTx(record.tx, record.instantMs);
    const datoms: Datom[] = [];
    for (let i = 0; i < record.e.length; i++) {
      const e = record.e[i]!;
      while (store.localOf(e) < 0) {
        assert(e - store.entityBase > store.localMax, 'a new entity takes the next local');
        store.allocateEntity();
      }
      const attr = store.schema.attributeById(record.a[i]!);
      assert(attr !== undefined, 'a record names attributes of the schema');
      const normal = record.v[i]!;
      store.append(store.localOf(e), attr.slot, toRaw(store.strings, normal, true), record.added[i]!);
      const v: Value = attr.valueType === 'vector' ? (JSON.parse(normal as string) as number[]) : normal;
      datoms.push({ e, a: attr.ident, v, tx: record.tx, added: record.added[i]! });
    }
    store.endTx();
    return { tx: record.tx, txIndex: store.txCount - 1, instantMs: record.instantMs, tempids: {}, datoms };
  }

  /** The view after tx index `txIndex` (default: the head). */
  view(txIndex = this.store.txCount - 1): View {
    return new View(this.store, txIndex);
  }
}
