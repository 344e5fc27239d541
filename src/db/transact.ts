/**
 * Planning a transaction: tx data in, the datoms to append out, or a coded error and nothing
 * appended. Planning reads the store at its head and never writes it, so a refused tx leaves no
 * trace; `applyPlan` (db.ts) then appends the plan, which can no longer fail.
 *
 * Semantics, in order: tempids are resolved (upserting through unique identity values, and
 * unifying tempids that claim the same identity value in this tx), lookup refs are resolved
 * against the db before the tx, then each op is expanded against the db plus the tx so far:
 * re-asserting a live fact adds nothing; asserting a new value of a cardinality-one attribute
 * retracts the old one (a conflict when the attribute is write-once); two values for one
 * cardinality-one attribute in one tx are refused; retracting a fact that is not live is a no-op;
 * retractEntity retracts the entity's facts and every ref to it. Last, refs must point to
 * entities that exist after the tx, and schema changes must be sound.
 */
import { fail } from '../errors.js';
import { DatomColumns } from './datom-columns.js';
import type { DatomStore } from './datoms.js';
import { NONE } from './datoms.js';
import { defining, isValueType, type Schema, type SchemaAttribute } from './schema.js';
import {
  type Bulk,
  bulkAsOps,
  bulkRowItem,
  bulkTempid,
  type EntityRef,
  isLookupRef,
  type Op,
  parseTxData,
  toEntityRef,
} from './tx-data.js';
import { brokenRule, type Normal, normalize, toRaw, typeRule, usesStrings } from './values.js';

/**
 * The datoms a plan appends: the columns its record will hold, and each datom's tx-data item, for
 * the checks that name it.
 */
export class PlannedDatoms {
  readonly columns = new DatomColumns();
  private items = new Int32Array(16);

  constructor(private readonly schema: Schema) {}

  get length(): number {
    return this.columns.length;
  }

  push(e: number, attr: SchemaAttribute, value: Normal, added: boolean, item: number): void {
    const i = this.columns.length;
    this.columns.push(e, attr.id, value, added);
    if (i === this.items.length) {
      const wider = new Int32Array(i * 2);
      wider.set(this.items);
      this.items = wider;
    }
    this.items[i] = item;
  }

  attr(i: number): SchemaAttribute {
    return this.schema.attributeById(this.columns.a(i))!;
  }

  item(i: number): number {
    return this.items[i]!;
  }
}

export interface TxPlan {
  readonly datoms: PlannedDatoms;
  readonly tempids: ReadonlyMap<string, number>;
  /** Entities the tx creates: ids `firstNewId .. firstNewId + newEntities - 1`. */
  readonly newEntities: number;
  readonly firstNewId: number;
}

interface Change {
  added: Normal[];
  retracted: Set<Normal>;
}

export function planTx(store: DatomStore, txData: unknown, txDatomsMax: number): TxPlan {
  return new Planner(store, txDatomsMax).plan(txData);
}

class Planner {
  private readonly schema: Schema;
  private readonly existence = new Map<number, boolean>();
  /** Entities the general path gave datoms to in this tx. */
  private readonly changedEntities = new Set<number>();
  private readonly head: number;
  private readonly firstNewId: number;
  private newEntities = 0;
  private readonly tempids = new Map<string, number>();
  /** Identity values claimed by tempids in this tx, for unification: key → entity id. */
  private readonly identityClaims = new Map<string, number>();
  /** Unique values whose owner this tx changes: key → entity id, or 0 when released. */
  private readonly uniqueClaims = new Map<string, number>();
  private readonly changes = new Map<string, Change>();
  private readonly datoms: PlannedDatoms;
  /** Entities created by bulk rows: ids [bulkFirstId, bulkFirstId + bulkCount). */
  private bulkFirstId = 0;
  private bulkCount = 0;

  constructor(
    private readonly store: DatomStore,
    private readonly txDatomsMax: number,
  ) {
    this.schema = store.schema;
    this.datoms = new PlannedDatoms(this.schema);
    this.head = store.datomCount;
    this.firstNewId = store.entityBase + store.localMax + 1;
  }

  plan(txData: unknown): TxPlan {
    const { ops, bulks } = parseTxData(txData, this.schema);
    const fast = bulks.length > 0 && this.bulkCanBeFast(ops, bulks);
    if (!fast) for (const bulk of bulks) bulkAsOps(bulk, this.schema, ops);
    this.resolveTempids(ops);
    if (fast) this.resolveBulkTempids(bulks);
    for (const op of ops) this.expand(op);
    if (fast) {
      let firstId = this.bulkFirstId;
      for (const bulk of bulks) {
        this.expandBulk(bulk, firstId);
        firstId += bulk.rows.length;
      }
    }
    this.checkRefs();
    this.checkSchemaChanges();
    return {
      datoms: this.datoms,
      tempids: this.tempids,
      newEntities: this.newEntities,
      firstNewId: this.firstNewId,
    };
  }

  // --- bulk rows ---

  /**
   * Whether bulk rows can skip the general path: every row a new entity (no identity value that
   * exists or repeats, no tempid shared with other items) and no schema attribute among the
   * columns. Then the fast path yields exactly the datoms of the equivalent entity maps.
   */
  private bulkCanBeFast(ops: Op[], bulks: Bulk[]): boolean {
    const tempids = new Set<string>();
    const identities = new Map<SchemaAttribute, Set<Normal>>();
    const claim = (attr: SchemaAttribute, value: Normal): boolean => {
      let values = identities.get(attr);
      if (values === undefined) identities.set(attr, (values = new Set()));
      if (values.has(value)) return false;
      values.add(value);
      return true;
    };
    for (const op of ops) {
      if (op.e.kind === 'tempid') tempids.add(op.e.name);
      if (op.e.kind === 'id' && op.e.id >= this.firstNewId) return false;
      if (op.kind === 'add' && op.attr.unique === 'identity') {
        const value = normalize(op.attr.valueType, op.value);
        if (value === undefined) return false;
        claim(op.attr, value);
      }
    }
    // A row's own tempid ("item#i.r") could only clash with a tempid written that way.
    const autoClash = [...tempids].some((name) => name.startsWith('item#'));
    for (const bulk of bulks) {
      if (bulk.columns.some((attr) => attr !== undefined && attr.slot < defining.size)) return false;
      const idColumn = bulk.columns.indexOf(undefined);
      for (let r = 0; r < bulk.rows.length; r++) {
        const row = bulk.rows[r]!;
        const id = idColumn < 0 ? undefined : row[idColumn];
        if (id !== null && id !== undefined) {
          if (typeof id !== 'string' || tempids.has(id)) return false;
          tempids.add(id);
        } else if (autoClash && tempids.has(bulkTempid(bulk, r))) return false;
        for (let c = 0; c < bulk.columns.length; c++) {
          const attr = bulk.columns[c];
          if (attr?.unique !== 'identity' || row[c] === null || row[c] === undefined) continue;
          const value = normalize(attr.valueType, row[c]);
          if (value === undefined || attr.valueType === 'ref') return false;
          if (!claim(attr, value) || this.ownerAtHead(attr, value) !== undefined) return false;
        }
      }
    }
    return true;
  }

  /**
   * Gives bulk rows consecutive new ids; reported are the tempids named in a db/id column, and
   * those of rows that were entity maps (as the maps' own would be).
   */
  private resolveBulkTempids(bulks: Bulk[]): void {
    this.bulkFirstId = this.firstNewId + this.newEntities;
    for (const bulk of bulks) {
      const idColumn = bulk.columns.indexOf(undefined);
      for (let r = 0; r < bulk.rows.length; r++) {
        const id = this.firstNewId + this.newEntities++;
        const tempid = bulk.fromMaps
          ? bulkTempid(bulk, r)
          : idColumn < 0
            ? undefined
            : bulk.rows[r]![idColumn];
        if (typeof tempid === 'string') this.tempids.set(tempid, id);
      }
    }
    this.bulkCount = this.firstNewId + this.newEntities - this.bulkFirstId;
  }

  /** Datoms of bulk rows that are new entities (see bulkCanBeFast). */
  private expandBulk(bulk: Bulk, firstId: number): void {
    const { columns, rows } = bulk;
    for (let r = 0; r < rows.length; r++) {
      const e = firstId + r;
      const row = rows[r]!;
      const item = bulkRowItem(bulk, r);
      for (let c = 0; c < columns.length; c++) {
        const attr = columns[c];
        const value = row[c];
        if (attr === undefined || value === null || value === undefined) continue;
        const many =
          attr.many && Array.isArray(value) && !(attr.valueType === 'ref' && isLookupRef(value, this.schema));
        // One value (a tick's every cell) takes no arrays: this loop runs per datom.
        if (!many) {
          this.addBulkDatom(e, attr, this.normal(attr, value, item), item);
          continue;
        }
        const seen: Normal[] = [];
        for (const v of value as unknown[]) {
          const normal = this.normal(attr, v, item);
          if (seen.includes(normal)) continue;
          seen.push(normal);
          this.addBulkDatom(e, attr, normal, item);
        }
      }
    }
  }

  private addBulkDatom(e: number, attr: SchemaAttribute, normal: Normal, item: number): void {
    if (this.datoms.length >= this.txDatomsMax) this.tooLarge();
    // Identity values were checked new and distinct by bulkCanBeFast; others are checked here.
    if (attr.unique === 'value') this.claimUnique(attr, normal, e, item);
    this.datoms.push(e, attr, normal, true, item);
  }

  private claimUnique(attr: SchemaAttribute, value: Normal, e: number, item: number): void {
    const key = uniqueKey(attr, value);
    const owner = this.uniqueClaims.get(key) ?? this.ownerAtHead(attr, value);
    if (owner !== undefined && owner !== 0 && owner !== e)
      this.conflict({ item, attr }, value, `already belongs to entity ${owner}`);
    this.uniqueClaims.set(key, e);
  }

  // --- entities ---

  private resolveTempids(ops: Op[]): void {
    const byTempid = new Map<string, Op[]>();
    for (const op of ops) {
      if (op.e.kind !== 'tempid') continue;
      const list = byTempid.get(op.e.name) ?? [];
      list.push(op);
      byTempid.set(op.e.name, list);
    }
    for (const [name, tempidOps] of byTempid) {
      const identities = tempidOps.filter(
        (op): op is Extract<Op, { kind: 'add' }> =>
          op.kind === 'add' && op.attr.unique === 'identity' && op.attr.valueType !== 'ref',
      );
      let resolved: number | undefined;
      for (const op of identities) {
        const value = this.normal(op.attr, op.value, op.item);
        const key = uniqueKey(op.attr, value);
        const owner = this.identityClaims.get(key) ?? this.ownerAtHead(op.attr, value);
        if (owner === undefined) continue;
        if (resolved !== undefined && resolved !== owner) {
          this.conflict(op, value, `upserts tempid ${JSON.stringify(name)} to two entities`);
        }
        resolved = owner;
      }
      if (resolved === undefined) {
        if (!tempidOps.some((op) => op.kind === 'add')) {
          fail(
            'GSW_ERR_UNKNOWN_ENTITY',
            `item ${tempidOps[0]!.item}: tempid ${JSON.stringify(name)} is only retracted`,
            {
              item: tempidOps[0]!.item,
            },
          );
        }
        resolved = this.firstNewId + this.newEntities++;
      }
      this.tempids.set(name, resolved);
      for (const op of identities) {
        this.identityClaims.set(uniqueKey(op.attr, this.normal(op.attr, op.value, op.item)), resolved);
      }
    }
  }

  /** The entity `ref` names; as the value of ref attribute `of`, a missing one is dangling. */
  private entity(ref: EntityRef, item: number, of?: SchemaAttribute): number {
    switch (ref.kind) {
      case 'tempid': {
        const id = this.tempids.get(ref.name);
        if (id === undefined) {
          fail(
            'GSW_ERR_UNKNOWN_ENTITY',
            `item ${item}: tempid ${JSON.stringify(ref.name)} is used as a value but never asserted`,
            {
              item,
              tempid: ref.name,
            },
          );
        }
        return id;
      }
      case 'id':
        if (this.store.localOf(ref.id) < 0 && !this.isNew(ref.id)) {
          if (of)
            fail(
              'GSW_ERR_DANGLING_REF',
              `item ${item}: ${of.ident} refers to ${ref.id}, which is no entity`,
              { item, attribute: of.ident, entity: ref.id },
            );
          fail('GSW_ERR_UNKNOWN_ENTITY', `item ${item}: no entity has id ${ref.id}`, {
            item,
            entity: ref.id,
          });
        }
        return ref.id;
      case 'lookup': {
        const value = this.normal(ref.attr, ref.value, item);
        const owner = this.ownerAtHead(ref.attr, value);
        if (owner === undefined) {
          const what = `lookup ref [${ref.attr.ident}, ${JSON.stringify(value)}] names no entity`;
          if (of)
            fail('GSW_ERR_DANGLING_REF', `item ${item}: ${of.ident} ${what}`, {
              item,
              attribute: of.ident,
              value,
            });
          fail('GSW_ERR_UNKNOWN_ENTITY', `item ${item}: ${what}`, { item, attribute: ref.attr.ident, value });
        }
        return owner;
      }
    }
  }

  private isNew(id: number): boolean {
    return id >= this.firstNewId && id < this.firstNewId + this.newEntities;
  }

  private ownerAtHead(attr: SchemaAttribute, value: Normal): number | undefined {
    const raw = toRaw(this.store.strings, value, false);
    if (raw === -1 && usesStrings(attr.valueType)) return undefined;
    const local = this.store.uniqueOwner(attr.slot, raw, this.head);
    return local < 0 ? undefined : this.store.entityBase + local;
  }

  // --- values ---

  /** The normal form of `value` for `attr`, resolving refs to entity ids. */
  private normal(attr: SchemaAttribute, value: unknown, item: number): Normal {
    if (attr.valueType === 'ref') return this.entity(refOf(value, this.schema, item, attr), item, attr);
    const normal = normalize(attr.valueType, value);
    if (normal === undefined) {
      const rule = brokenRule(attr.valueType, value);
      fail('GSW_ERR_VALUE_TYPE', `item ${item}: ${attr.ident} ${rule}, got ${describe(value)}`, {
        item,
        attribute: attr.ident,
        rule,
      });
    }
    return normal;
  }

  // --- expansion ---

  private expand(op: Op): void {
    const e = this.entity(op.e, op.item);
    if (op.kind === 'retractEntity') {
      this.retractEntity(e, op.item);
      return;
    }
    const value =
      op.kind === 'retract' && op.value === undefined ? undefined : this.normal(op.attr, op.value, op.item);
    if (op.kind === 'retract') {
      for (const live of this.live(e, op.attr)) {
        if (value === undefined || live === value) this.emit(e, op.attr, live, false, op.item);
      }
      return;
    }
    this.add(e, op.attr, value as Normal, op.item);
  }

  private add(e: number, attr: SchemaAttribute, value: Normal, item: number): void {
    const live = this.live(e, attr);
    if (live.includes(value)) return;
    if (attr.unique !== undefined) {
      const owner = this.uniqueClaims.get(uniqueKey(attr, value)) ?? this.ownerAtHead(attr, value);
      if (owner !== undefined && owner !== 0 && owner !== e) {
        this.conflict({ item, attr }, value, `already belongs to entity ${owner}`);
      }
    }
    if (!attr.many && live.length > 0) {
      const change = this.changes.get(changeKey(e, attr));
      if (change?.added.length) {
        fail(
          'GSW_ERR_CARDINALITY',
          `item ${item}: ${attr.ident} of entity ${e} is given two values in one tx`,
          {
            item,
            attribute: attr.ident,
            rule: 'cardinality one',
          },
        );
      }
      if (attr.immutable) {
        fail(
          'GSW_ERR_WRITE_ONCE_CONFLICT',
          `item ${item}: ${attr.ident} is write-once and entity ${e} already has ${JSON.stringify(live[0])}, not ${JSON.stringify(value)}`,
          {
            item,
            attribute: attr.ident,
            entity: e,
            existing: live[0],
            value,
          },
        );
      }
      this.emit(e, attr, live[0]!, false, item);
    }
    this.emit(e, attr, value, true, item);
  }

  private retractEntity(e: number, item: number): void {
    for (const attr of this.schema.bySlot) {
      for (const live of this.live(e, attr)) this.emit(e, attr, live, false, item);
    }
    for (const attr of this.schema.bySlot) {
      if (attr.valueType !== 'ref') continue;
      for (const holder of this.referrers(e, attr)) this.emit(holder, attr, e, false, item);
    }
  }

  /** Entities whose `attr` refers to `e` after the tx so far. */
  private referrers(e: number, attr: SchemaAttribute): number[] {
    const holders = new Set<number>();
    this.store.avet[attr.slot]?.eachLatestFirst(e, (p) => {
      if (this.store.isLive(p, this.head)) holders.add(this.store.entityBase + this.store.entities.at(p));
      return true;
    });
    for (const [key, change] of this.changes) {
      if (change.added.includes(e) && key.endsWith(`|${attr.slot}`)) holders.add(Number(key.split('|')[0]));
    }
    return [...holders].filter((holder) => this.live(holder, attr).includes(e));
  }

  /** The live values of (e, attr) after the tx so far. */
  private live(e: number, attr: SchemaAttribute): Normal[] {
    const base: Normal[] = [];
    const local = this.store.localOf(e);
    if (local >= 0) {
      const { a, v, added, retractions, links } = this.store;
      for (let p = this.store.lastOfEntity.get(local); p !== NONE; p = links.previous(p)) {
        if (a.data[p] === attr.slot && added.has(p) && retractions.end(p) === NONE) {
          base.push(this.normalOfRaw(attr, v.at(p)));
        }
      }
    }
    const change = this.changes.get(changeKey(e, attr));
    if (change === undefined) return base;
    return [...base.filter((x) => !change.retracted.has(x)), ...change.added];
  }

  private normalOfRaw(attr: SchemaAttribute, raw: number): Normal {
    if (usesStrings(attr.valueType)) return this.store.strings.string(raw);
    return attr.valueType === 'boolean' ? raw === 1 : raw;
  }

  private tooLarge(): never {
    return fail('GSW_ERR_TX_TOO_LARGE', `the tx exceeds ${this.txDatomsMax} datoms (txDatomsMax)`, {
      txDatomsMax: this.txDatomsMax,
    });
  }

  private emit(e: number, attr: SchemaAttribute, value: Normal, added: boolean, item: number): void {
    if (this.datoms.length >= this.txDatomsMax) this.tooLarge();
    this.changedEntities.add(e);
    const key = changeKey(e, attr);
    const change = this.changes.get(key) ?? { added: [], retracted: new Set<Normal>() };
    this.changes.set(key, change);
    if (added) change.added.push(value);
    else {
      const i = change.added.indexOf(value);
      if (i >= 0) change.added.splice(i, 1);
      else change.retracted.add(value);
    }
    if (attr.unique !== undefined) this.uniqueClaims.set(uniqueKey(attr, value), added ? e : 0);
    this.datoms.push(e, attr, value, added, item);
  }

  // --- integrity ---

  private checkRefs(): void {
    const retractedFrom = new Set<number>();
    const { columns } = this.datoms;
    const refs = this.attributeIds((attr) => attr.valueType === 'ref');
    for (let i = 0; i < columns.length; i++) {
      if (!columns.added(i)) retractedFrom.add(columns.e(i));
      else if (refs.has(columns.a(i)) && !this.existsAfter(columns.v(i) as number)) {
        const item = this.datoms.item(i);
        const attribute = this.datoms.attr(i).ident;
        fail(
          'GSW_ERR_DANGLING_REF',
          `item ${item}: ${attribute} refers to entity ${columns.v(i)}, which does not exist`,
          { item, attribute, entity: columns.v(i) },
        );
      }
    }
    for (const e of retractedFrom) {
      if (this.existsAfter(e)) continue;
      for (const attr of this.schema.bySlot) {
        if (attr.valueType !== 'ref') continue;
        const holders = this.referrers(e, attr);
        if (holders.length > 0) {
          fail(
            'GSW_ERR_DANGLING_REF',
            `entity ${e} would no longer exist but ${attr.ident} of entity ${holders[0]} refers to it`,
            {
              attribute: attr.ident,
              entity: e,
              holder: holders[0],
            },
          );
        }
      }
    }
  }

  /** Whether `e` has a live fact after the whole tx (called once expansion is done). */
  private existsAfter(e: number): boolean {
    if (e >= this.bulkFirstId && e < this.bulkFirstId + this.bulkCount) return true;
    let exists = this.existence.get(e);
    if (exists === undefined) {
      const local = this.store.localOf(e);
      exists = this.changedEntities.has(e)
        ? this.schema.bySlot.some((attr) => this.live(e, attr).length > 0)
        : local >= 0 && this.store.hasLiveDatom(local);
      this.existence.set(e, exists);
    }
    return exists;
  }

  private checkSchemaChanges(): void {
    const touched = new Set<number>();
    const { columns } = this.datoms;
    const definingIds = this.attributeIds((attr) => attr.slot < defining.size);
    for (let i = 0; i < columns.length; i++) if (definingIds.has(columns.a(i))) touched.add(columns.e(i));
    for (const e of touched) this.checkAttributeEntity(e);
  }

  private attributeIds(where: (attr: SchemaAttribute) => boolean): Set<number> {
    return new Set(this.schema.bySlot.filter(where).map((attr) => attr.id));
  }

  private checkAttributeEntity(e: number): void {
    const value = (ident: string) => this.live(e, this.schema.attribute(ident)!)[0];
    const ident = value('db/ident');
    const valueType = value('db/valueType');
    const cardinality = value('db/cardinality');
    const unique = value('db/unique');
    const existing = this.schema.attributeById(e);
    const bad: (rule: string) => never = (rule) =>
      fail('GSW_ERR_SCHEMA', `attribute ${String(ident ?? e)}: ${rule}`, { entity: e, rule });
    if (valueType === undefined) {
      if (existing !== undefined) bad('an attribute keeps its db/valueType');
      if (cardinality !== undefined || unique !== undefined)
        bad('db/cardinality and db/unique need db/valueType');
      return;
    }
    if (typeof ident !== 'string' || !/^[^\s/]+\/[^\s]+$/.test(ident))
      bad('db/ident must be a namespaced name like "tick/price"');
    if (ident.startsWith('db/') || ident.startsWith('db.')) bad('the db namespace is reserved');
    if (!isValueType(valueType))
      bad(`db/valueType must be one of string, number, integer, boolean, instant, ref, vector`);
    if (cardinality !== undefined && cardinality !== 'one' && cardinality !== 'many')
      bad('db/cardinality must be one or many');
    if (unique !== undefined && unique !== 'identity' && unique !== 'value')
      bad('db/unique must be identity or value');
    if (valueType === 'vector' && cardinality === 'many') bad('a vector attribute has cardinality one');
    const other = this.schema.attribute(ident);
    if (other !== undefined && other.id !== e) bad('another attribute has this db/ident');
    if (existing === undefined) return;
    const used = this.store.byAttr[existing.slot]!.length > 0;
    if (used && existing.many && cardinality !== 'many')
      bad('cardinality many cannot become one once the attribute is used');
    if (used && existing.unique === undefined && unique !== undefined)
      bad('uniqueness cannot be added once the attribute is used');
  }

  private conflict(at: { item: number; attr: SchemaAttribute }, value: Normal, why: string): never {
    fail('GSW_ERR_UNIQUE_CONFLICT', `item ${at.item}: ${at.attr.ident} ${JSON.stringify(value)} ${why}`, {
      item: at.item,
      attribute: at.attr.ident,
      value,
    });
  }
}

function refOf(value: unknown, schema: Schema, item: number, attr: SchemaAttribute): EntityRef {
  return (
    toEntityRef(value, schema) ??
    fail('GSW_ERR_VALUE_TYPE', `item ${item}: ${attr.ident} ${typeRule('ref')}, got ${describe(value)}`, {
      item,
      attribute: attr.ident,
      rule: typeRule('ref'),
    })
  );
}

function changeKey(e: number, attr: SchemaAttribute): string {
  return `${e}|${attr.slot}`;
}

function uniqueKey(attr: SchemaAttribute, value: Normal): string {
  return `${attr.slot}|${typeof value}|${String(value)}`;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
