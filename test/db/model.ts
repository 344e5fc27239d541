/**
 * A deliberately naive fact database: a list of datoms, every read a filter over it. It follows
 * the transaction semantics documented in src/db/transact.ts with none of the real store's
 * structures (columns, chains, postings, count timelines, checkpoints), so the two can be
 * compared on random histories.
 */
import type { Datom, Value } from '../../src/db/types.js';

interface Attr {
  ident: string;
  id: number;
  valueType: string;
  many: boolean;
  unique?: string;
  immutable: boolean;
}

type Op = { kind: 'add' | 'retract' | 'retractEntity'; e: unknown; a?: string; v?: unknown; hasV: boolean };

export class RefusedError extends Error {}
const refuse = (why: string): never => {
  throw new RefusedError(why);
};

const bootstrap: [string, string, boolean, string?][] = [
  ['db/ident', 'string', false, 'identity'],
  ['db/valueType', 'string', true],
  ['db/cardinality', 'string', false],
  ['db/unique', 'string', false],
  ['db/index', 'boolean', false],
  ['db/doc', 'string', false],
  ['db/immutable', 'boolean', false],
];

export class Model {
  datoms: Datom[] = [];
  txs: number[] = [];
  private nextId = 1024;
  private attrs = new Map<string, Attr>(
    bootstrap.map(([ident, valueType, immutable, unique], i) => [
      ident,
      { ident, id: i + 1, valueType, many: false, unique, immutable },
    ]),
  );

  attr(ident: string): Attr | undefined {
    return this.attrs.get(ident);
  }

  /** Applies a tx or throws RefusedError, leaving the model unchanged. */
  transact(txData: unknown, tx: number): Datom[] {
    const before = { datoms: this.datoms, nextId: this.nextId };
    try {
      return this.apply(txData, tx);
    } catch (error) {
      this.datoms = before.datoms;
      this.nextId = before.nextId;
      throw error;
    }
  }

  private apply(txData: unknown, tx: number): Datom[] {
    if (!Array.isArray(txData)) refuse('not an array');
    const ops = this.parse(txData as unknown[]);
    const tempids = this.resolveTempids(ops);
    const added: Datom[] = [];
    const working = [...this.datoms];
    const liveIn = (list: Datom[], e: number, a: string) => liveValues(list, e, a);
    const emit = (e: number, a: string, v: Value, isAdd: boolean) => {
      const d = { e, a, v, tx, added: isAdd };
      working.push(d);
      added.push(d);
    };
    const entity = (x: unknown, asValueOf?: Attr): number => {
      if (typeof x === 'string' || (typeof x === 'number' && x < 0)) {
        const id = tempids.get(String(x));
        return id ?? refuse('tempid used only as a value');
      }
      if (typeof x === 'number') {
        if (x < 1024 || x >= this.nextId) refuse('unknown entity id');
        return x;
      }
      const [a, v] = x as [string, unknown];
      const owner = this.owner(this.datoms, a, v);
      return owner ?? refuse(asValueOf ? 'dangling lookup ref' : 'unknown lookup ref');
    };
    const valueFor = (attr: Attr, v: unknown): Value =>
      attr.valueType === 'ref' ? entity(v, attr) : checkType(attr.valueType, v);
    for (const op of ops) {
      const e = entity(op.e);
      if (op.kind === 'retractEntity') {
        for (const d of liveAll(working, e)) emit(e, d.a, d.v, false);
        for (const attr of this.attrs.values()) {
          if (attr.valueType !== 'ref') continue;
          for (const d of liveAll(working).filter((x) => x.a === attr.ident && x.v === e))
            emit(d.e, d.a, d.v, false);
        }
        continue;
      }
      const attr = this.attrs.get(op.a!)!;
      if (op.kind === 'retract') {
        const v = op.hasV ? valueFor(attr, op.v) : undefined;
        for (const live of liveIn(working, e, attr.ident))
          if (v === undefined || same(live, v)) emit(e, attr.ident, live, false);
        continue;
      }
      const v = valueFor(attr, op.v);
      const live = liveIn(working, e, attr.ident);
      if (live.some((x) => same(x, v))) continue;
      if (attr.unique) {
        const owner = this.owner(working, attr.ident, v);
        if (owner !== undefined && owner !== e) refuse('unique conflict');
      }
      if (!attr.many && live.length > 0) {
        if (added.some((d) => d.e === e && d.a === attr.ident && d.added)) refuse('two values in one tx');
        if (attr.immutable) refuse('write-once');
        emit(e, attr.ident, live[0]!, false);
      }
      emit(e, attr.ident, v, true);
    }
    const exists = (e: number) => liveAll(working, e).length > 0;
    for (const d of added) {
      if (d.added && this.attrs.get(d.a)!.valueType === 'ref' && !exists(d.v as number))
        refuse('dangling ref');
    }
    for (const e of new Set(added.filter((d) => !d.added).map((d) => d.e))) {
      if (exists(e)) continue;
      const refs = liveAll(working).filter((d) => this.attrs.get(d.a)!.valueType === 'ref' && d.v === e);
      if (refs.length > 0) refuse('entity still referenced');
    }
    this.checkSchema(working, added);
    if (added.length > 0) {
      this.datoms = working;
      this.txs.push(tx);
      this.deriveSchema();
    }
    return added;
  }

  private parse(items: unknown[]): Op[] {
    const ops: Op[] = [];
    items.forEach((item, i) => {
      if (Array.isArray(item)) {
        const [op, e, a, v] = item;
        if (op === 'db/retractEntity') {
          if (item.length !== 2) refuse('arity');
          ops.push({ kind: 'retractEntity', e: this.entityRef(e), hasV: false });
          return;
        }
        if (op !== 'db/add' && op !== 'db/retract') refuse('bad op');
        const kind = op === 'db/add' ? 'add' : 'retract';
        if (kind === 'add' ? item.length !== 4 : item.length !== 3 && item.length !== 4) refuse('arity');
        const eRef = this.entityRef(e);
        if (!this.attrs.has(a as string)) refuse('unknown attribute');
        ops.push({ kind, e: eRef, a: a as string, v, hasV: item.length === 4 });
        return;
      }
      if (item === null || typeof item !== 'object') refuse('bad item');
      const map = item as Record<string, unknown>;
      const e = map['db/id'] === undefined ? `item#${i}` : this.entityRef(map['db/id']);
      const keys = Object.keys(map).filter((k) => k !== 'db/id');
      for (const k of keys) if (!this.attrs.has(k)) refuse('unknown attribute');
      if (keys.length === 0 && map['db/id'] === undefined) refuse('empty map');
      for (const k of keys) {
        const attr = this.attrs.get(k)!;
        const value = map[k];
        const isLookup =
          Array.isArray(value) &&
          value.length === 2 &&
          typeof value[0] === 'string' &&
          this.attrs.get(value[0])?.unique !== undefined;
        const values =
          attr.many && Array.isArray(value) && !(attr.valueType === 'ref' && isLookup) ? value : [value];
        for (const v of values) ops.push({ kind: 'add', e, a: k, v, hasV: true });
      }
    });
    return ops;
  }

  private entityRef(x: unknown): unknown {
    if (typeof x === 'string' && x.length > 0) return x;
    if (Number.isSafeInteger(x)) return x;
    if (Array.isArray(x) && x.length === 2 && this.attrs.get(x[0])?.unique !== undefined) return x;
    return refuse('not an entity');
  }

  private resolveTempids(ops: Op[]): Map<string, number> {
    const tempids = new Map<string, number>();
    const claims = new Map<string, number>();
    const names: string[] = [];
    for (const op of ops) {
      const name = tempidName(op.e);
      if (name !== undefined && !names.includes(name)) names.push(name);
    }
    for (const name of names) {
      const mine = ops.filter((op) => tempidName(op.e) === name);
      const identities = mine.filter(
        (op) =>
          op.kind === 'add' &&
          this.attrs.get(op.a!)!.unique === 'identity' &&
          this.attrs.get(op.a!)!.valueType !== 'ref',
      );
      let resolved: number | undefined;
      for (const op of identities) {
        const v = checkType(this.attrs.get(op.a!)!.valueType, op.v);
        const owner = claims.get(`${op.a}|${JSON.stringify(v)}`) ?? this.owner(this.datoms, op.a!, v);
        if (owner === undefined) continue;
        if (resolved !== undefined && resolved !== owner) refuse('upsert conflict');
        resolved = owner;
      }
      if (resolved === undefined) {
        if (!mine.some((op) => op.kind === 'add')) refuse('tempid only retracted');
        resolved = this.nextId++;
      }
      tempids.set(name, resolved);
      for (const op of identities) claims.set(`${op.a}|${JSON.stringify(op.v)}`, resolved);
    }
    return tempids;
  }

  private owner(list: Datom[], a: string, v: unknown): number | undefined {
    const attr = this.attrs.get(a);
    if (attr === undefined) return undefined;
    return liveAll(list).find((d) => d.a === a && same(d.v, v as Value))?.e;
  }

  private checkSchema(working: Datom[], added: Datom[]): void {
    const touched = new Set(added.filter((d) => d.a.startsWith('db/')).map((d) => d.e));
    for (const e of touched) {
      const get = (a: string) => liveValues(working, e, a)[0];
      const ident = get('db/ident') as string | undefined;
      const valueType = get('db/valueType');
      const existing = [...this.attrs.values()].find((x) => x.id === e);
      if (valueType === undefined) {
        if (existing) refuse('keeps valueType');
        if (get('db/cardinality') !== undefined || get('db/unique') !== undefined) refuse('needs valueType');
        continue;
      }
      if (typeof ident !== 'string' || !/^[^\s/]+\/[^\s]+$/.test(ident) || ident.startsWith('db'))
        refuse('bad ident');
      if (
        !['string', 'number', 'integer', 'boolean', 'instant', 'ref', 'vector'].includes(valueType as string)
      )
        refuse('bad type');
      const card = get('db/cardinality');
      if (card !== undefined && card !== 'one' && card !== 'many') refuse('bad cardinality');
      const unique = get('db/unique');
      if (unique !== undefined && unique !== 'identity' && unique !== 'value') refuse('bad unique');
      if (valueType === 'vector' && card === 'many') refuse('vector many');
      const other = this.attrs.get(ident as string);
      if (other !== undefined && other.id !== e) refuse('ident taken');
      if (existing) {
        const used = this.datoms.some((d) => d.a === existing.ident);
        if (used && existing.many && card !== 'many') refuse('many to one');
        if (used && !existing.unique && unique !== undefined) refuse('unique added');
      }
    }
  }

  private deriveSchema(): void {
    const entities = new Set(
      liveAll(this.datoms)
        .filter((d) => d.a === 'db/valueType')
        .map((d) => d.e),
    );
    for (const e of entities) {
      const get = (a: string) => liveValues(this.datoms, e, a)[0];
      for (const [ident, attr] of this.attrs) if (attr.id === e) this.attrs.delete(ident);
      const ident = get('db/ident') as string;
      this.attrs.set(ident, {
        ident,
        id: e,
        valueType: get('db/valueType') as string,
        many: get('db/cardinality') === 'many',
        unique: get('db/unique') as string | undefined,
        immutable: get('db/immutable') === true,
      });
    }
  }

  // --- views ---

  /** The datoms a view sees: asOf T (live as of T), since S (and asserted after S), history. */
  visible(view: { asOf?: number; since?: number; history?: boolean }): Datom[] {
    const upTo = this.datoms.filter((d) => view.asOf === undefined || d.tx <= view.asOf);
    const base = view.history ? upTo : liveAll(upTo);
    return view.since === undefined ? base : base.filter((d) => d.tx > view.since!);
  }

  attributeIdents(): string[] {
    return [...this.attrs.keys()];
  }

  isMany(ident: string): boolean {
    return this.attrs.get(ident)?.many ?? false;
  }
}

function tempidName(e: unknown): string | undefined {
  if (typeof e === 'string') return e;
  if (typeof e === 'number' && e < 0) return String(e);
  return undefined;
}

/** The assertions of `list` not retracted later in it. */
export function liveAll(list: Datom[], e?: number): Datom[] {
  const live = new Map<string, Datom>();
  for (const d of list) {
    if (e !== undefined && d.e !== e) continue;
    const key = `${d.e}|${d.a}|${JSON.stringify(d.v)}`;
    if (d.added) live.set(key, d);
    else live.delete(key);
  }
  return [...live.values()];
}

function liveValues(list: Datom[], e: number, a: string): Value[] {
  return liveAll(list, e)
    .filter((d) => d.a === a)
    .map((d) => d.v);
}

function same(x: Value, y: Value): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

function checkType(valueType: string, v: unknown): Value {
  const ok =
    (valueType === 'string' && typeof v === 'string') ||
    (valueType === 'number' && typeof v === 'number' && Number.isFinite(v)) ||
    ((valueType === 'integer' || valueType === 'instant') && Number.isSafeInteger(v)) ||
    (valueType === 'boolean' && typeof v === 'boolean') ||
    (valueType === 'vector' && Array.isArray(v) && v.length > 0 && v.every((x) => Number.isFinite(x)));
  return ok ? (v as Value) : refuse(`not a ${valueType}`);
}
