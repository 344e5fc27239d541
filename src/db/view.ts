/**
 * A view: an immutable database value. It is a window on the append-only datom store, positions
 * [lo, bound): `bound` fixes the basis (later writes are never seen), `lo` implements since(T),
 * and a history view also sees retractions and retracted assertions. Costs are given per method.
 */
import { fail } from '../errors.js';
import { type DatomStore, NONE } from './datoms.js';
import type { EntityColumn } from './entity-column.js';
import type { PositionList } from './position-list.js';
import { pull } from './pull.js';
import { explain, type Plan, type Query, type QueryOptions, q, queryWith } from './query/index.js';
import type { QuerySource } from './query/source.js';
import type { Schema, SchemaAttribute } from './schema.js';
import type { Attribute, Datom, IndexName, Value } from './types.js';
import { fromRaw, isStoredRaw, normalize, normalOf, toRaw } from './values.js';

/** An entity id, or a lookup ref `[unique attribute, value]`. */
export type EntityRef = number | readonly [string, unknown];

type Visit = (e: number, a: Attribute, v: Value, tx: number, added: boolean) => void;
/** A visit that says whether to go on. */
type SeekVisit = (e: number, a: Attribute, v: Value, tx: number, added: boolean) => boolean;

export class View implements QuerySource {
  readonly basisTx: number;
  readonly schema: Schema;
  /** Datom positions below this are in the view's past. */
  readonly bound: number;

  constructor(
    private readonly store: DatomStore,
    /** Index of the last tx the view sees, -1 for none. */
    readonly basisTxIndex: number,
    private readonly lo = 0,
    readonly isHistory = false,
  ) {
    this.bound = store.boundAfter(basisTxIndex);
    this.basisTx = basisTxIndex < 0 ? 0 : store.txIds.get(basisTxIndex);
    this.schema = store.schemaAt(basisTxIndex);
  }

  /** The view as of tx id `tx` (≤ the basis). O(log txs). */
  asOf(tx: number): View {
    this.checkNotFuture(tx);
    if (tx < this.store.horizonTx) this.gone(`as of tx ${tx}`, tx);
    return new View(this.store, this.store.txIndexAsOf(tx), this.lo, this.isHistory);
  }

  /** The facts of this view asserted after tx id `tx`. O(log txs). */
  since(tx: number): View {
    if (tx + 1 < this.store.horizonTx) this.gone(`since tx ${tx}`, tx);
    const start = this.store.boundAfter(this.store.txIndexAsOf(tx));
    return new View(this.store, this.basisTxIndex, Math.max(this.lo, start), this.isHistory);
  }

  /** Every assertion and retraction up to the basis. O(1). */
  history(): View {
    return new View(this.store, this.basisTxIndex, this.lo, true);
  }

  /** The wall-clock instant tx id `tx` was committed at, or undefined. O(log txs). */
  txInstant(tx: number): number | undefined {
    const i = this.store.txIndexAsOf(tx);
    return i >= 0 && i <= this.basisTxIndex && this.store.txIds.get(i) === tx
      ? this.store.txInstants.get(i)
      : undefined;
  }

  /** The first tx this view sees whole: the first tx, or the retention horizon (0: none). O(1). */
  get firstTx(): number {
    return this.basisTxIndex < 0 ? 0 : Math.max(this.store.txIds.get(0), this.store.horizonTx);
  }

  /** The retention horizon: reads as of a tx before it are refused (0: nothing was pruned). */
  get horizonTx(): number {
    return this.store.horizonTx;
  }

  /** The last tx this view sees that was committed at or before `instantMs` (0: none). O(log txs). */
  txAtInstant(instantMs: number): number {
    const i = Math.min(this.store.txIndexAtInstant(instantMs), this.basisTxIndex);
    return i < 0 ? 0 : this.store.txIds.get(i);
  }

  // --- QuerySource ---

  attribute(ident: string): SchemaAttribute | undefined {
    return this.schema.attribute(ident);
  }

  attributeById(id: number): SchemaAttribute | undefined {
    return this.schema.attributeById(id);
  }

  attributes(): readonly SchemaAttribute[] {
    return this.schema.bySlot;
  }

  match(e: number | undefined, a: Attribute | undefined, v: Value | undefined, visit: Visit): void {
    if (a !== undefined) {
      this.matchLean(e, a, v, true, visit);
      return;
    }
    const { store, schema } = this;
    const txOf = txCursor(store);
    this.positions(e, undefined, undefined, (p) => {
      const at = schema.bySlot[store.a.data[p]!]!;
      const value = fromRaw(store.strings, at.valueType, store.v.at(p));
      if (v !== undefined && !valuesEqual(value, v)) return;
      visit(store.entityBase + store.entities.at(p), at, value, txOf(p), store.added.has(p));
    });
  }

  /** `match` with a known attribute; the tx of each datom is looked up only when `withTx`. */
  matchLean(e: number | undefined, a: Attribute, v: Value | undefined, withTx: boolean, visit: Visit): void {
    const attr = this.schema.attributeById(a.id);
    if (attr === undefined) return;
    let raw: number | undefined;
    if (v !== undefined) {
      const normal = normalize(attr.valueType, v);
      if (normal === undefined) return;
      raw = toRaw(this.store.strings, normal, false);
      if (!isStoredRaw(raw, attr)) return;
    }
    this.positions(e, attr, raw, datomVisitor(this.store, attr, withTx, visit));
  }

  /**
   * The visible datoms of `a` whose entity is after `afterE`, in entity order (one entity's datoms
   * in tx order), until `visit` returns false. O(log n + datoms visited) on an attribute written in
   * entity order (see `inEntityOrder`); otherwise the attribute's visible datoms after `afterE` are
   * collected and sorted first.
   */
  seek(a: Attribute, afterE: number, visit: SeekVisit): void {
    const attr = this.schema.attributeById(a.id);
    if (attr === undefined) return;
    const { store } = this;
    const { entities } = store;
    const afterLocal = afterE - store.entityBase;
    let more = true;
    const emit = datomVisitor(store, attr, true, (...datom) => (more = visit(...datom)));
    if (this.inEntityOrder(attr)) {
      const list = store.byAttr[attr.slot]!;
      const end = list.countBelow(this.bound);
      // Entities and positions both ascend along the list: two binary searches find the start.
      let i = Math.max(list.countBelow(this.lo), entitiesAtMost(entities, list, end, afterLocal));
      for (; more && i < end; i++) {
        const p = list.at(i);
        if (this.sees(p)) emit(p);
      }
      return;
    }
    const found: number[] = [];
    this.positions(undefined, attr, undefined, (p) => {
      if (entities.at(p) > afterLocal) found.push(p);
    });
    found.sort((p, q) => entities.at(p) - entities.at(q) || p - q);
    for (let i = 0; more && i < found.length; i++) emit(found[i]!);
  }

  /** Whether `a`'s datoms in this view were written in entity order, so `seek` on it is O(log n). */
  inEntityOrder(a: Attribute): boolean {
    const attr = this.schema.attributeById(a.id);
    if (attr === undefined) return true;
    const list = this.store.byAttr[attr.slot]!;
    return this.store.entityOrdered(attr.slot, list.countBelow(this.bound));
  }

  /** Values at evenly spaced positions of the attribute's list (invisible ones skipped). */
  sampleValues(a: Attribute, count: number): Value[] {
    const attr = this.schema.attributeById(a.id);
    if (attr === undefined) return [];
    const { store } = this;
    const list = store.byAttr[attr.slot]!;
    const start = list.countBelow(this.lo);
    const end = list.countBelow(this.bound);
    const step = Math.max(1, (end - start) / count);
    const out: Value[] = [];
    for (let i = start; i < end; i += step) {
      const p = list.at(Math.floor(i));
      if (this.sees(p)) out.push(fromRaw(store.strings, attr.valueType, store.v.at(p)));
    }
    return out;
  }

  estimate(e: number | undefined, a: Attribute | undefined, v: Value | undefined): number {
    if (e !== undefined) return 8;
    const attr = a === undefined ? undefined : this.schema.attributeById(a.id);
    if (attr === undefined) return a === undefined ? this.bound - this.lo : 0;
    const postings = this.store.avet[attr.slot];
    if (v !== undefined && postings !== undefined) {
      const normal = normalize(attr.valueType, v);
      if (normal === undefined) return 0;
      const raw = toRaw(this.store.strings, normal, false);
      return isStoredRaw(raw, attr) ? postings.count(raw) : 0;
    }
    const list = this.store.byAttr[attr.slot]!;
    return list.countBelow(this.bound) - list.countBelow(this.lo);
  }

  /** Datascript's pull: `e` is an entity id or a lookup ref; null when it names nothing visible. */
  pull(e: EntityRef, pattern: readonly unknown[]): Record<string, unknown> | null {
    const entity = this.entityOf(e);
    return entity === undefined ? null : pull(this, entity, pattern);
  }

  /** Runs a Datalog query (src/db/query) with this view as `$`. */
  q(query: Query | string, ...inputs: unknown[]): unknown {
    return q(this, query, ...inputs);
  }

  /** Runs a Datalog query with this view as `$`, with inputs and budgets given as options. */
  query(query: Query | string, options: QueryOptions = {}): unknown {
    return queryWith(this, query, options);
  }

  /** The plan `q` would follow: clause order, index per clause, estimated rows. */
  explain(query: Query | string, ...inputs: unknown[]): Plan {
    return explain(this, query, ...inputs);
  }

  // --- reads ---

  /**
   * Datascript's `entity`, as a plain object: every visible attribute of `e` (an entity id or a
   * lookup ref); null if none.
   */
  entity(e: EntityRef): Record<string, unknown> | null {
    return this.pull(e, ['*']);
  }

  /**
   * The entity id `e` names: itself, or the entity holding a lookup ref's unique value (undefined
   * if none does). A lookup ref on an attribute that is not unique is refused, as in Datascript.
   */
  entityOf(e: EntityRef): number | undefined {
    if (typeof e === 'number') return e;
    if (!Array.isArray(e) || e.length !== 2)
      fail(
        'GSW_ERR_UNKNOWN_ENTITY',
        `an entity is an id or a lookup ref [attribute, value], not ${JSON.stringify(e)}`,
        { entity: e },
      );
    const attr = this.attributeNamed(e[0]);
    if (attr.unique === undefined)
      fail(
        'GSW_ERR_UNKNOWN_ENTITY',
        `lookup ref ${JSON.stringify(e)}: attribute ${attr.ident} is not unique`,
        { entity: e },
      );
    return this.entityWith(attr, e[1] as Value);
  }

  /**
   * The visible datoms in index order, narrowed by leading components: eavt (e, a, v),
   * aevt (a, e, v), avet (a, v, e). Cost: the matching datoms, sorted, when a leading entity or
   * (attribute, value) on an indexed attribute is given; the attribute's datoms when only an
   * attribute is; every datom otherwise.
   */
  datoms(index: IndexName, ...components: unknown[]): Datom[] {
    const [first, second, third] = components;
    const named = (x: unknown) => (x === undefined ? undefined : this.attributeNamed(x));
    let e: unknown;
    let a: SchemaAttribute | undefined;
    let v: unknown;
    if (index === 'eavt') [e, a, v] = [first, named(second), third];
    else if (index === 'aevt') [a, e, v] = [named(first), second, third];
    else if (index === 'avet') [a, v, e] = [named(first), second, third];
    else fail('GSW_ERR_BAD_INDEX', `unknown index ${JSON.stringify(index)}; use eavt, aevt or avet`);
    if (e !== undefined && !Number.isSafeInteger(e))
      fail('GSW_ERR_BAD_INDEX', `entity component must be an entity id, got ${JSON.stringify(e)}`);
    const out: Datom[] = [];
    this.match(e as number | undefined, a, v as Value | undefined, (de, da, dv, tx, added) => {
      out.push({ e: de, a: da.ident, v: dv, tx, added });
    });
    return out.sort(comparators[index]);
  }

  /**
   * Number of entities having `attr` in this view. O(log txs) on current and as-of views
   * (a binary search in the attribute's count timeline); a scan of the attribute on since and
   * history views.
   */
  count(attr: string): number {
    const a = this.attributeNamed(attr);
    if (this.lo === 0 && !this.isHistory) return this.store.countAfter(a.slot, this.basisTxIndex);
    const entities = new Set<number>();
    this.positions(undefined, a, undefined, (p) => entities.add(this.store.entities.at(p)));
    return entities.size;
  }

  /** Whether datom position `p` (below the bound) is visible in this view. O(1). */
  sees(p: number): boolean {
    const store = this.store;
    return (
      p >= this.lo &&
      p < this.bound &&
      (this.isHistory || (store.added.has(p) && store.retractions.end(p) >= this.bound))
    );
  }

  /** The datom store behind the view (for indices built on it, such as the market index). */
  get datomStore(): DatomStore {
    return this.store;
  }

  /** The entities whose ref `attr` points at `e` in this view (reverse lookup). */
  referrers(e: number, attr: SchemaAttribute): number[] {
    const out: number[] = [];
    this.positions(undefined, attr, e, (p) => out.push(this.store.entityBase + this.store.entities.at(p)));
    return out;
  }

  /** The entity whose unique `attr` has `value` in this view, or undefined. O(1) expected. */
  entityWith(attr: SchemaAttribute, value: Value): number | undefined {
    const normal = normalize(attr.valueType, value);
    const raw = normal === undefined ? -1 : toRaw(this.store.strings, normal, false);
    if (normal === undefined || !isStoredRaw(raw, attr)) return undefined;
    const p = this.store.avet[attr.slot]?.latestWhere(raw, this.bound, (q) => this.sees(q)) ?? -1;
    return p < 0 ? undefined : this.store.entityBase + this.store.entities.at(p);
  }

  /** The latest entity (in log order) whose ref `attr` points at `e` in this view. */
  lastReferrer(e: number, attr: SchemaAttribute): number | undefined {
    let found: number | undefined;
    this.store.avet[attr.slot]?.eachLatestFirst(e, (p) => {
      if (p < this.lo) return false;
      if (!this.sees(p)) return true;
      found = this.store.entityBase + this.store.entities.at(p);
      return false;
    });
    return found;
  }

  attributeNamed(ident: unknown): SchemaAttribute {
    const attr = typeof ident === 'string' ? this.schema.attribute(ident) : undefined;
    if (attr === undefined) {
      // A past view lacks the attributes declared after its basis: say so, not "unknown".
      const later = typeof ident === 'string' && this.store.schema.attribute(ident) !== undefined;
      const message = later
        ? `attribute ${JSON.stringify(ident)} did not exist yet as of tx ${this.basisTx}`
        : `unknown attribute ${JSON.stringify(ident)}`;
      fail('GSW_ERR_UNKNOWN_ATTRIBUTE', message, {
        attribute: ident,
        ...(later ? { as_of: this.basisTx } : {}),
      });
    }
    return attr;
  }

  /** Refuses a read that needs datoms of a tx before the horizon, which retention dropped. */
  private gone(read: string, tx: number): never {
    const horizonTx = this.store.horizonTx;
    return fail(
      'GSW_ERR_GONE',
      `a read ${read} needs ticks from before the retention horizon, tx ${horizonTx}: they were pruned`,
      { tx, horizonTx },
    );
  }

  private checkNotFuture(tx: number): void {
    if (!Number.isSafeInteger(tx) || tx < 0) {
      fail('GSW_ERR_TX_IN_FUTURE', `tx must be a non-negative safe integer, got ${tx}`, { tx });
    }
    if (tx > this.basisTx) {
      fail('GSW_ERR_TX_IN_FUTURE', `tx ${tx} is later than the basis tx ${this.basisTx}`, {
        tx,
        basisTx: this.basisTx,
      });
    }
  }

  /** Calls `visit` with each visible position matching the bound parts (raw value). */
  private positions(
    e: number | undefined,
    attr: SchemaAttribute | undefined,
    raw: number | undefined,
    visit: (p: number) => void,
  ): void {
    const { store, lo, bound } = this;
    const slot = attr === undefined ? -1 : attr.slot;
    if (e !== undefined) {
      const local = store.localOf(e);
      if (local < 0) return;
      // The entity chain, inline: latest first, from the view's bound down to `lo`.
      const { links } = store;
      const as = store.a.data;
      const values = store.v;
      let p = store.lastOfEntity.get(local);
      while (p !== NONE && p >= bound) p = links.previous(p);
      for (; p !== NONE; p = links.previous(p)) {
        if ((slot < 0 || as[p] === slot) && (raw === undefined || values.at(p) === raw) && this.sees(p))
          visit(p);
      }
      return;
    }
    if (attr === undefined) {
      for (let p = lo; p < bound; p++)
        if ((raw === undefined || store.v.at(p) === raw) && this.sees(p)) visit(p);
      return;
    }
    const postings = store.avet[attr.slot];
    if (raw !== undefined && postings !== undefined) {
      const found: number[] = [];
      postings.eachLatestFirst(raw, (p) => {
        if (p < lo) return false;
        if (p < bound && this.sees(p)) found.push(p);
        return true;
      });
      for (let i = found.length - 1; i >= 0; i--) visit(found[i]!);
      return;
    }
    // The hot scan of one attribute: liveness inline, no per-position closure.
    const list = store.byAttr[attr.slot]!;
    const { added } = store;
    const { retractions } = store;
    const values = store.v;
    const all = this.isHistory;
    const end = list.countBelow(bound);
    for (let i = list.countBelow(lo); i < end; i++) {
      const p = list.at(i);
      if (
        (all || (added.has(p) && retractions.end(p) >= bound)) &&
        (raw === undefined || values.at(p) === raw)
      )
        visit(p);
    }
  }
}

/** A visitor of positions of one attribute calling `visit` with the datom as users see it. */
function datomVisitor(
  store: DatomStore,
  attr: SchemaAttribute,
  withTx: boolean,
  visit: Visit,
): (p: number) => void {
  const { strings, entityBase, entities } = store;
  const values = store.v;
  const { added } = store;
  const valueType = attr.valueType;
  const plain = valueType !== 'string' && valueType !== 'vector' && valueType !== 'boolean';
  const txOf = withTx ? txCursor(store) : null;
  return (p) => {
    const raw = values.at(p);
    visit(
      entityBase + entities.at(p),
      attr,
      plain ? raw : fromRaw(strings, valueType, raw),
      txOf === null ? 0 : txOf(p),
      added.has(p),
    );
  };
}

/** Number of `positions[0, length)` whose entity is ≤ `local`, the entities ascending. O(log n). */
function entitiesAtMost(
  entities: EntityColumn,
  positions: PositionList,
  length: number,
  local: number,
): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entities.at(positions.at(mid)) <= local) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The tx id of datom positions, read mostly in ascending order: a binary search only when a
 * position leaves the current tx's range.
 */
function txCursor(store: DatomStore): (p: number) => number {
  let start = 1;
  let end = 0;
  let tx = 0;
  return (p) => {
    if (p < start || p >= end) {
      const i = store.txIndexOf(p);
      start = store.txStarts.data[i]!;
      end = i + 1 < store.txCount ? store.txStarts.data[i + 1]! : Number.POSITIVE_INFINITY;
      tx = store.txIds.data[i]!;
    }
    return tx;
  };
}

function valuesEqual(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

export function compareValues(x: Value, y: Value): number {
  if (typeof x === typeof y && typeof x !== 'object') return x < y ? -1 : x > y ? 1 : 0;
  const [a, b] = [normalOf('vector', x), normalOf('vector', y)];
  return a < b ? -1 : a > b ? 1 : 0;
}

const byE = (x: Datom, y: Datom) => x.e - y.e;
const byA = (x: Datom, y: Datom) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0);
const byV = (x: Datom, y: Datom) => compareValues(x.v, y.v);
const byTx = (x: Datom, y: Datom) => x.tx - y.tx || Number(x.added) - Number(y.added);
const comparators: Record<IndexName, (x: Datom, y: Datom) => number> = {
  eavt: (x, y) => byE(x, y) || byA(x, y) || byV(x, y) || byTx(x, y),
  aevt: (x, y) => byA(x, y) || byE(x, y) || byV(x, y) || byTx(x, y),
  avet: (x, y) => byA(x, y) || byV(x, y) || byE(x, y) || byTx(x, y),
};
