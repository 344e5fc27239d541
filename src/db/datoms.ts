/**
 * The datom store: every datom ever transacted, in columns, in tx order, plus the indices over
 * them. Append-only: a datom is never changed except that a later retraction may end an
 * assertion, once (`retractions`). A view is a position bound P: it sees the datoms before P, and
 * an assertion at p is live in it when it was not retracted before P.
 *
 * Indices, all in position (= tx) order, so "as of" is a bound on a sorted list:
 * - EAVT: per entity, a chain of positions (`links`), latest first from `lastOfEntity`.
 * - AEVT: per attribute slot, the list of positions.
 * - AVET: per indexed attribute slot (unique, indexed or ref), postings from raw value to
 *   positions; for refs this is also the reverse (VAET) index.
 * - counts: per attribute slot, the number of entities having it after each tx that changed it,
 *   so count-as-of is a binary search.
 */
import { assert } from './assert.js';
import { BitColumn, type BitsImage } from './bit-column.js';
import { type Column, f64, lastAtMost, u8or16, u32 } from './columns.js';
import { type EntitiesImage, EntityColumn } from './entity-column.js';
import { Interner, type StringTableImage } from './intern.js';
import { EntityLinks, type LinksImage } from './links.js';
import { PositionList, type PositionsImage } from './position-list.js';
import { Postings, type PostingsImage } from './postings.js';
import { Retractions, type RetractionsImage } from './retractions.js';
import { defining, Schema, type SchemaAttribute, SYSTEM_LOCAL_MAX, toAttribute } from './schema.js';
import type { AttributeSpec } from './types.js';
import { ValueColumn, type ValuesImage } from './value-column.js';
import { fromRaw, usesStrings } from './values.js';

/** "No position": the end of an entity chain, or an assertion not (yet) retracted. */
export const NONE = 0xffffffff;

export interface CountTimeline {
  /** Tx indices at which the count changed, ascending. */
  readonly txIndex: Column<Uint32Array>;
  /** The count after each of those txs. */
  readonly count: Column<Float64Array>;
}

const columnNames = ['a', 'txIds', 'txInstants', 'txStarts', 'lastOfEntity'] as const;
export type ColumnName = (typeof columnNames)[number];

/** A store's state as typed arrays and plain values: what a checkpoint saves. */
export interface StoreImage {
  entityBase: number;
  columns: Record<ColumnName, Uint8Array | Uint16Array | Uint32Array | Float64Array>;
  entities: EntitiesImage;
  values: ValuesImage;
  added: BitsImage;
  links: LinksImage;
  retractions: RetractionsImage;
  byAttr: PositionsImage[];
  avet: (PostingsImage | null)[];
  counts: { txIndex: Uint32Array; count: Float64Array }[];
  strings: StringTableImage;
  schemas: { txIndex: number; attributes: SchemaAttribute[] }[];
  horizonTx: number;
}

/** A store's state as live parts, taken over by `fromParts`. */
export interface StoreParts {
  /** Whether each column starts a buffer of its own that it may grow into. */
  room?: boolean;
  entityBase: number;
  columns: Record<ColumnName, Uint8Array | Uint16Array | Uint32Array | Float64Array>;
  entities: EntityColumn;
  values: ValueColumn;
  added: BitColumn;
  links: EntityLinks;
  retractions: Retractions;
  byAttr: PositionList[];
  avet: (Postings | undefined)[];
  counts: { txIndex: Uint32Array; count: Float64Array }[];
  strings: Interner;
  schemas: { txIndex: number; schema: Schema }[];
  horizonTx: number;
}

export class DatomStore {
  /** Each datom's entity local. */
  entities: EntityColumn = new EntityColumn();
  /** Attribute slots: one byte each until a schema has more than 256 attributes. */
  readonly a = u8or16();
  v: ValueColumn = new ValueColumn();
  /** Per datom: set for an assertion, clear for a retraction. */
  added: BitColumn = new BitColumn();
  /** EAVT: each datom's previous position on its entity's chain. */
  links: EntityLinks = new EntityLinks();
  retractions: Retractions = new Retractions();

  readonly txIds = f64();
  readonly txInstants = f64();
  readonly txStarts = u32();

  /** By entity local: the latest position of the entity, or NONE. */
  readonly lastOfEntity = u32();
  readonly byAttr: PositionList[] = [];
  readonly avet: (Postings | undefined)[] = [];
  readonly counts: CountTimeline[] = [];
  readonly strings: Interner;
  /** Schema versions: the schema in force from each tx index on, ascending. */
  readonly schemas: { txIndex: number; schema: Schema }[];
  /** Reads as of a tx before this one are refused: retention pruned datoms before it (0: none). */
  horizonTx = 0;

  /** Per slot, the change in entity count within the open tx; `countSlots` lists the slots touched. */
  private countDelta: number[] = [];
  private readonly countSlots: number[] = [];
  private readonly touchedAttributes = new Set<number>();
  /** Per slot, how many leading positions of `byAttr[slot]` are known to be in entity order. */
  private readonly entityOrderedLengths: number[] = [];

  constructor(
    readonly entityBase: number,
    strings = new Interner(),
  ) {
    this.strings = strings;
    const schema = Schema.bootstrap(entityBase);
    this.schemas = [{ txIndex: -1, schema }];
    for (let local = 0; local <= SYSTEM_LOCAL_MAX; local++) this.lastOfEntity.push(NONE);
    for (const attr of schema.bySlot) this.addSlot(attr);
  }

  get datomCount(): number {
    return this.entities.length;
  }

  get txCount(): number {
    return this.txIds.length;
  }

  get lastTxId(): number {
    return this.txCount === 0 ? 0 : this.txIds.last();
  }

  /** The highest entity local allocated so far. */
  get localMax(): number {
    return this.lastOfEntity.length - 1;
  }

  get schema(): Schema {
    return this.schemas[this.schemas.length - 1]!.schema;
  }

  /** The schema in force after tx index `txIndex`. */
  schemaAt(txIndex: number): Schema {
    let i = this.schemas.length - 1;
    while (this.schemas[i]!.txIndex > txIndex) i--;
    return this.schemas[i]!.schema;
  }

  allocateEntity(): number {
    assert(this.lastOfEntity.length < NONE, 'entity locals fit the 32-bit entity column');
    return this.lastOfEntity.push(NONE);
  }

  /** The local part of entity id `id`, or -1 if this store never allocated it. */
  localOf(id: number): number {
    const local = id - this.entityBase;
    return Number.isInteger(local) && local > SYSTEM_LOCAL_MAX && local <= this.localMax ? local : -1;
  }

  /** Position bound of the view after tx index `txIndex` (-1: before any tx). */
  boundAfter(txIndex: number): number {
    return txIndex + 1 < this.txCount ? this.txStarts.get(txIndex + 1) : this.datomCount;
  }

  /** The tx index containing datom position `p`. O(log txs). */
  txIndexOf(p: number): number {
    return lastAtMost(this.txStarts.data, this.txCount, p);
  }

  /** The index of the last tx with id ≤ `txId`, or -1. O(log txs). */
  txIndexAsOf(txId: number): number {
    return lastAtMost(this.txIds.data, this.txCount, txId);
  }

  /**
   * The index of the last tx committed at or before wall-clock `instantMs`, or -1. O(log txs): a
   * binary search over the tx instants, which follow commit order (should the wall clock step
   * back, the answer is still a tx at or before the instant whose successor is after it).
   */
  txIndexAtInstant(instantMs: number): number {
    return lastAtMost(this.txInstants.data, this.txCount, instantMs);
  }

  isLive(p: number, bound: number): boolean {
    return p < bound && this.added.has(p) && this.retractions.end(p) >= bound;
  }

  // --- appending (the only mutation) ---

  beginTx(txId: number, instantMs: number): void {
    assert(txId > this.lastTxId, 'tx ids increase strictly');
    assert(this.countSlots.length === 0 && this.touchedAttributes.size === 0, 'previous tx was ended');
    this.txIds.push(txId);
    this.txInstants.push(instantMs);
    this.txStarts.push(this.datomCount);
  }

  /** Appends one datom of the open tx. Retractions must end a live assertion. */
  append(local: number, slot: number, raw: number, added: boolean): void {
    assert(local > 0 && local <= this.localMax, 'datom entity was allocated');
    assert(slot < this.byAttr.length, 'datom attribute has a slot');
    const p = this.datomCount;
    const previous = this.lastOfEntity.get(local);
    let hadValue = false;
    if (added) {
      hadValue = previous !== NONE && this.liveValueCount(local, slot, 1) > 0;
    } else {
      const asserted = this.liveAssertion(local, slot, raw);
      assert(asserted !== NONE, 'a retraction ends a live assertion');
      this.retractions.set(asserted, p);
    }
    this.entities.push(local);
    if (slot > 0xff && this.a.data instanceof Uint8Array) this.a.widen(Uint16Array);
    this.a.push(slot);
    this.v.push(raw);
    this.added.push(added);
    this.links.push(previous);
    this.lastOfEntity.set(local, p);
    this.byAttr[slot]!.push(p);
    this.avet[slot]?.add(raw, p);
    if (added && !hadValue) this.bumpCount(slot, 1);
    if (!added && this.liveValueCount(local, slot, 1) === 0) this.bumpCount(slot, -1);
    if (slot < defining.size) this.touchedAttributes.add(local);
  }

  endTx(): void {
    const txIndex = this.txCount - 1;
    for (const slot of this.countSlots) {
      const delta = this.countDelta[slot]!;
      this.countDelta[slot] = 0;
      if (delta === 0) continue;
      const timeline = this.counts[slot]!;
      const before = timeline.count.length === 0 ? 0 : timeline.count.last();
      timeline.txIndex.push(txIndex);
      timeline.count.push(before + delta);
    }
    this.countSlots.length = 0;
    if (this.touchedAttributes.size > 0) this.deriveSchema(txIndex);
  }

  // --- reading primitives ---

  /** Calls `visit` with each position of entity `local` below `bound`, latest first. */
  eachOfEntity(local: number, bound: number, visit: (p: number) => void): void {
    let p = this.lastOfEntity.get(local);
    while (p !== NONE && p >= bound) p = this.links.previous(p);
    for (; p !== NONE; p = this.links.previous(p)) visit(p);
  }

  /** The live assertion of (local, slot, raw) at the head, or NONE. Walks the entity chain. */
  liveAssertion(local: number, slot: number, raw: number): number {
    const { a, v, added, retractions, links } = this;
    for (let p = this.lastOfEntity.get(local); p !== NONE; p = links.previous(p)) {
      if (a.data[p] === slot && v.at(p) === raw && added.has(p) && retractions.end(p) === NONE) {
        return p;
      }
    }
    return NONE;
  }

  /** How many live values (local, slot) has at the head, counting up to `max`. */
  liveValueCount(local: number, slot: number, max: number): number {
    const { a, added, retractions, links } = this;
    let n = 0;
    for (let p = this.lastOfEntity.get(local); p !== NONE && n < max; p = links.previous(p)) {
      if (a.data[p] === slot && added.has(p) && retractions.end(p) === NONE) n++;
    }
    return n;
  }

  /** Whether entity `local` has a live datom at the head. Walks the entity chain. */
  hasLiveDatom(local: number): boolean {
    const { added, retractions, links } = this;
    for (let p = this.lastOfEntity.get(local); p !== NONE; p = links.previous(p)) {
      if (added.has(p) && retractions.end(p) === NONE) return true;
    }
    return false;
  }

  /** The entity local holding the live unique value `raw` of `slot` as of `bound`, or -1. */
  uniqueOwner(slot: number, raw: number, bound: number): number {
    const postings = this.avet[slot];
    assert(postings !== undefined, 'unique attributes are in AVET');
    const p = postings.latestWhere(raw, bound, (q) => this.isLive(q, bound));
    return p < 0 ? -1 : this.entities.at(p);
  }

  /**
   * Whether the first `length` positions of the slot's list name non-decreasing entities: true of
   * an attribute asserted only on entities as they are made. Checked lazily and remembered, so
   * each position is read once over all calls (and a checkpoint need not store the answer).
   */
  entityOrdered(slot: number, length: number): boolean {
    const positions = this.byAttr[slot]!;
    const { entities } = this;
    let n = this.entityOrderedLengths[slot] ?? 0;
    if (n === 0 && length > 0) n = 1;
    while (n < length && entities.at(positions.at(n)) >= entities.at(positions.at(n - 1))) n++;
    this.entityOrderedLengths[slot] = n;
    return n >= length;
  }

  /** Number of entities having `slot` after tx index `txIndex`. O(log n). */
  countAfter(slot: number, txIndex: number): number {
    const timeline = this.counts[slot]!;
    const i = lastAtMost(timeline.txIndex.data, timeline.txIndex.length, txIndex);
    return i < 0 ? 0 : timeline.count.get(i);
  }

  // --- checkpoints ---

  /**
   * The whole state as typed arrays and plain values, unchanged by later txs: what later txs only
   * append to is shared with the store (a view of the used prefix), what they change in place
   * (retractions, each entity's latest position, the hash tables) is copied.
   */
  image(): StoreImage {
    const columns = {} as Record<ColumnName, Uint8Array | Uint16Array | Uint32Array | Float64Array>;
    for (const name of columnNames) columns[name] = this[name].view();
    columns.lastOfEntity = columns.lastOfEntity.slice();
    return {
      entityBase: this.entityBase,
      columns,
      entities: this.entities.image(),
      values: this.v.image(),
      added: this.added.image(),
      links: this.links.image(),
      retractions: this.retractions.image(),
      byAttr: this.byAttr.map((list) => list.image()),
      avet: this.avet.map((postings) => postings?.snapshot() ?? null),
      counts: this.counts.map((t) => ({ txIndex: t.txIndex.view(), count: t.count.view() })),
      strings: this.strings.snapshot(),
      schemas: this.schemas.map(({ txIndex, schema }) => ({ txIndex, attributes: [...schema.bySlot] })),
      horizonTx: this.horizonTx,
    };
  }

  /** A store from an image (taking its arrays over without copying). */
  static fromImage(image: StoreImage): DatomStore {
    return DatomStore.fromParts({
      ...image,
      strings: Interner.restore(image.strings),
      entities: EntityColumn.restore(image.entities),
      values: ValueColumn.restore(image.values),
      added: BitColumn.restore(image.added),
      byAttr: image.byAttr.map((list) => PositionList.restore(list)),
      links: EntityLinks.restore(image.links),
      retractions: Retractions.restore(image.retractions),
      avet: image.avet.map((p) => (p ? Postings.restore(p) : undefined)),
      schemas: image.schemas.map(({ txIndex, attributes }) => ({ txIndex, schema: new Schema(attributes) })),
    });
  }

  /** A store of the given parts, taking them over without copying (a checkpoint load, a prune). */
  static fromParts(parts: StoreParts): DatomStore {
    const store = new DatomStore(parts.entityBase, parts.strings);
    store.horizonTx = parts.horizonTx;
    for (const name of columnNames) store[name].adopt(parts.columns[name] as never, parts.room);
    store.entities = parts.entities;
    store.v = parts.values;
    store.added = parts.added;
    store.links = parts.links;
    store.retractions = parts.retractions;
    store.schemas.length = 0;
    store.schemas.push(...parts.schemas);
    store.byAttr.length = 0;
    store.avet.length = 0;
    store.counts.length = 0;
    parts.byAttr.forEach((list, slot) => {
      store.byAttr.push(list);
      store.avet.push(parts.avet[slot]);
      const timeline = { txIndex: u32(), count: f64() };
      timeline.txIndex.adopt(parts.counts[slot]!.txIndex);
      timeline.count.adopt(parts.counts[slot]!.count);
      store.counts.push(timeline);
    });
    assert(store.byAttr.length === store.schema.bySlot.length, 'a store has a slot per attribute');
    return store;
  }

  // --- schema ---

  private addSlot(attr: SchemaAttribute): void {
    assert(attr.slot === this.byAttr.length, 'slots are added in order');
    this.byAttr.push(new PositionList());
    this.avet.push(attr.indexed ? Postings.create(usesStrings(attr.valueType)) : undefined);
    this.counts.push({ txIndex: u32(), count: f64() });
  }

  /** Brings the schema in step with the attribute entities this tx touched. */
  private deriveSchema(txIndex: number): void {
    let schema = this.schema;
    for (const local of this.touchedAttributes) {
      const spec = this.definitionOf(local);
      const id = this.entityBase + local;
      const existing = schema.attributeById(id);
      if (spec === undefined) {
        assert(existing === undefined, 'an attribute keeps its definition');
        continue;
      }
      const slot = existing?.slot ?? schema.bySlot.length;
      const attr = toAttribute(id, slot, spec.ident, spec);
      if (existing === undefined) this.addSlot(attr);
      else if (
        attr.indexed &&
        (this.avet[slot] === undefined || usesStrings(attr.valueType) !== usesStrings(existing.valueType))
      )
        this.buildAvet(attr);
      schema = schema.with(attr);
    }
    this.touchedAttributes.clear();
    if (schema !== this.schema) this.schemas.push({ txIndex, schema });
  }

  /** The attribute spec entity `local` declares at the head, if it declares one. */
  definitionOf(local: number): (AttributeSpec & { ident: string }) | undefined {
    const values = new Map<string, unknown>();
    const bootstrap = this.schemas[0]!.schema;
    this.eachOfEntity(local, this.datomCount, (p) => {
      const slot = this.a.data[p]!;
      if (slot >= defining.size || !this.isLive(p, this.datomCount)) return;
      const attr = bootstrap.bySlot[slot]!;
      values.set(attr.ident, fromRaw(this.strings, attr.valueType, this.v.at(p)));
    });
    const ident = values.get('db/ident');
    const valueType = values.get('db/valueType');
    if (typeof ident !== 'string' || valueType === undefined) return undefined;
    return {
      ident,
      valueType: valueType as AttributeSpec['valueType'],
      cardinality: values.get('db/cardinality') === 'many' ? 'many' : 'one',
      unique: values.get('db/unique') as AttributeSpec['unique'],
      indexed: values.get('db/index') === true,
      immutable: values.get('db/immutable') === true,
      doc: values.get('db/doc') as string | undefined,
    };
  }

  private buildAvet(attr: SchemaAttribute): void {
    const postings = Postings.create(usesStrings(attr.valueType));
    const positions = this.byAttr[attr.slot]!;
    for (let i = 0; i < positions.length; i++) postings.add(this.v.at(positions.at(i)), positions.at(i));
    this.avet[attr.slot] = postings;
  }

  private bumpCount(slot: number, delta: number): void {
    const before = this.countDelta[slot] ?? 0;
    if (before === 0 && !this.countSlots.includes(slot)) this.countSlots.push(slot);
    this.countDelta[slot] = before + delta;
  }
}
