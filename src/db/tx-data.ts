/**
 * Parsing tx data into operations. Accepted forms (Datascript's, in JSON):
 *
 *   tx-data    = [ item* ]
 *   item       = entity-map | [ op, entity, attr, value? ] | bulk
 *   bulk       = [ "db/bulk", [ column* ], [ row* ] ]    column = attr | "db/id"
 *   row        = [ value* ]   one per column; null or absent = no value
 *   entity-map = { "db/id"?: entity, <attr>: value | [value*] (cardinality many), ... }
 *   op         = "db/add" | "db/retract" | "db/retractEntity"   (a leading ":" is ignored;
 *                retract without a value retracts every value of the attribute)
 *   entity     = entity-id (a positive integer) | tempid (a string, or a negative integer)
 *              | lookup-ref
 *   lookup-ref = [ unique-attr, value ]
 *
 * An entity map without "db/id" gets a fresh tempid of its own. A ref value is an entity.
 * A bulk item is a compact form of many entity maps sharing one layout: it means exactly the
 * entity maps of its rows, taken after every other item of the tx (row r of item i has the
 * tempid "item#i.r" unless its db/id column names one). Tx data made only of entity maps of one
 * layout is read as such a bulk item (sameLayoutMaps), each row keeping its map's item number
 * and tempid, so the common batch of entity maps takes the same columnar path.
 */
import { fail } from '../errors.js';
import type { Schema, SchemaAttribute } from './schema.js';

export type EntityRef =
  | { kind: 'id'; id: number }
  | { kind: 'tempid'; name: string }
  | { kind: 'lookup'; attr: SchemaAttribute; value: unknown };

export type Op =
  | { kind: 'add'; item: number; e: EntityRef; attr: SchemaAttribute; value: unknown }
  | { kind: 'retract'; item: number; e: EntityRef; attr: SchemaAttribute; value?: unknown }
  | { kind: 'retractEntity'; item: number; e: EntityRef };

export interface Bulk {
  readonly item: number;
  /** The attribute of each column; undefined for the db/id column. */
  readonly columns: (SchemaAttribute | undefined)[];
  readonly rows: unknown[][];
  /**
   * Rows that were the tx's own entity maps (see sameLayoutMaps): row r is item `item + r`, with
   * that item's tempid, reported as an entity map's is.
   */
  readonly fromMaps?: true;
}

/** The item a bulk row came from: the bulk item, or the entity map that was the row. */
export function bulkRowItem(bulk: Bulk, r: number): number {
  return bulk.fromMaps ? bulk.item + r : bulk.item;
}

export function parseTxData(txData: unknown, schema: Schema): { ops: Op[]; bulks: Bulk[] } {
  if (!Array.isArray(txData)) fail('GSW_ERR_TX_MALFORMED', 'tx data must be an array of entity maps or ops');
  const layout = sameLayoutMaps(txData);
  if (layout !== undefined) {
    const columns = layout.map((key) => attributeOf(key, 0, schema));
    const rows = txData.map((map: Record<string, unknown>) => layout.map((key) => map[key]));
    return { ops: [], bulks: [{ item: 0, columns, rows, fromMaps: true }] };
  }
  const ops: Op[] = [];
  const bulks: Bulk[] = [];
  txData.forEach((item, index) => {
    if (Array.isArray(item) && item[0] === 'db/bulk') bulks.push(parseBulk(item, index, schema));
    else if (Array.isArray(item)) ops.push(parseListOp(item, index, schema));
    else if (item !== null && typeof item === 'object') parseEntityMap(item as object, index, schema, ops);
    else malformed(index, 'an item must be an entity map or an [op, e, a, v] list');
  });
  return { ops, bulks };
}

/**
 * The keys of tx data made only of entity maps with one layout: no db/id, the same keys in the
 * same order, no value null, absent or an empty array (a bulk row reads those as no value, and a
 * row of no values is still an entity; a map's are not). Such
 * a tx (a batch of ticks, say) means exactly a bulk item of those rows, and takes the bulk path:
 * its datoms are made in columns, with no operation object per datom.
 */
function sameLayoutMaps(txData: unknown[]): string[] | undefined {
  const first = txData[0];
  if (txData.length < 2 || !isPlainMap(first)) return undefined;
  const keys = Object.keys(first);
  if (keys.length === 0 || keys.includes('db/id')) return undefined;
  for (const item of txData) {
    if (!isPlainMap(item)) return undefined;
    const itemKeys = Object.keys(item);
    if (itemKeys.length !== keys.length) return undefined;
    for (let k = 0; k < keys.length; k++) {
      const value = item[keys[k]!];
      if (itemKeys[k] !== keys[k] || value === null || value === undefined) return undefined;
      // An empty array gives a cardinality-many attribute no value, and a map of only such none.
      if (Array.isArray(value) && value.length === 0) return undefined;
    }
  }
  return keys;
}

function isPlainMap(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function parseBulk(item: unknown[], index: number, schema: Schema): Bulk {
  const [, columns, rows] = item;
  if (item.length !== 3 || !Array.isArray(columns) || !Array.isArray(rows)) {
    malformed(index, 'db/bulk takes an array of columns and an array of rows');
  }
  if (columns.filter((c) => c === 'db/id').length > 1)
    malformed(index, 'db/bulk takes at most one db/id column');
  const attrs = columns.map((c) => (c === 'db/id' ? undefined : attributeOf(c, index, schema)));
  rows.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      malformed(index, `row ${r} must be an array of ${columns.length} values`);
    }
    if (!row.some((v, c) => attrs[c] !== undefined && v !== null && v !== undefined)) {
      malformed(index, `row ${r} has no attribute value`);
    }
  });
  return { item: index, columns: attrs, rows: rows as unknown[][] };
}

/** The entity maps a bulk item stands for, as ops appended to `ops`. */
export function bulkAsOps(bulk: Bulk, schema: Schema, ops: Op[]): void {
  bulk.rows.forEach((row, r) => {
    const map: Record<string, unknown> = {};
    bulk.columns.forEach((attr, c) => {
      if (row[c] !== null && row[c] !== undefined) map[attr?.ident ?? 'db/id'] = row[c];
    });
    parseEntityMap(map, bulkRowItem(bulk, r), schema, ops, bulkTempid(bulk, r));
  });
}

/** The tempid of bulk row `r`: its db/id value, or one of its own (its map's, if it was one). */
export function bulkTempid(bulk: Bulk, r: number): string {
  if (bulk.fromMaps) return `item#${bulk.item + r}`;
  const idColumn = bulk.columns.indexOf(undefined);
  const id = idColumn < 0 ? undefined : bulk.rows[r]![idColumn];
  return typeof id === 'string' ? id : `item#${bulk.item}.${r}`;
}

function parseListOp(item: unknown[], index: number, schema: Schema): Op {
  const op = typeof item[0] === 'string' ? item[0].replace(/^:/, '') : item[0];
  if (op === 'db/retractEntity' || op === 'db.fn/retractEntity') {
    if (item.length !== 2) malformed(index, `${op} takes exactly an entity`);
    return { kind: 'retractEntity', item: index, e: parseEntity(item[1], index, schema) };
  }
  if (op !== 'db/add' && op !== 'db/retract') {
    malformed(index, `unknown op ${JSON.stringify(item[0])}; use db/add, db/retract or db/retractEntity`);
  }
  if (op === 'db/add' && item.length !== 4)
    malformed(index, 'db/add takes an entity, an attribute and a value');
  if (op === 'db/retract' && item.length !== 3 && item.length !== 4) {
    malformed(index, 'db/retract takes an entity, an attribute and optionally a value');
  }
  const e = parseEntity(item[1], index, schema);
  const attr = attributeOf(item[2], index, schema);
  if (op === 'db/add') return { kind: 'add', item: index, e, attr, value: item[3] };
  return item.length === 4
    ? { kind: 'retract', item: index, e, attr, value: item[3] }
    : { kind: 'retract', item: index, e, attr };
}

function parseEntityMap(
  map: object,
  index: number,
  schema: Schema,
  ops: Op[],
  tempid = `item#${index}`,
): void {
  const entries = Object.entries(map);
  const idValue = (map as Record<string, unknown>)['db/id'];
  const e =
    idValue === undefined ? { kind: 'tempid' as const, name: tempid } : parseEntity(idValue, index, schema);
  let any = false;
  for (const [key, value] of entries) {
    if (key === 'db/id') continue;
    const attr = attributeOf(key, index, schema);
    if (value === undefined) continue;
    any = true;
    for (const v of valuesOf(attr, value, schema)) ops.push({ kind: 'add', item: index, e, attr, value: v });
  }
  if (!any && idValue === undefined) malformed(index, 'an entity map needs at least one attribute');
}

/** The values an entity map gives `attr`: an array is several values only for cardinality many. */
function valuesOf(attr: SchemaAttribute, value: unknown, schema: Schema): unknown[] {
  if (!attr.many || !Array.isArray(value)) return [value];
  if (attr.valueType === 'ref' && isLookupRef(value, schema)) return [value];
  return value;
}

export function parseEntity(x: unknown, index: number, schema: Schema): EntityRef {
  return (
    toEntityRef(x, schema) ??
    malformed(
      index,
      `${JSON.stringify(x)} is not an entity: use an entity id, a tempid or a lookup ref [unique-attr, value]`,
    )
  );
}

/** The entity `x` names (an id, a tempid or a lookup ref), or undefined if it names none. */
export function toEntityRef(x: unknown, schema: Schema): EntityRef | undefined {
  if (typeof x === 'string' && x.length > 0) return { kind: 'tempid', name: x };
  if (Number.isSafeInteger(x)) {
    const n = x as number;
    return n < 0 ? { kind: 'tempid', name: String(n) } : { kind: 'id', id: n };
  }
  if (!isLookupRef(x, schema)) return undefined;
  const [ident, value] = x as [string, unknown];
  return { kind: 'lookup', attr: schema.attribute(ident)!, value };
}

/** A two-element array whose first element names a unique attribute. */
export function isLookupRef(x: unknown, schema: Schema): boolean {
  return (
    Array.isArray(x) &&
    x.length === 2 &&
    typeof x[0] === 'string' &&
    schema.attribute(x[0])?.unique !== undefined
  );
}

function attributeOf(ident: unknown, index: number, schema: Schema): SchemaAttribute {
  const attr = typeof ident === 'string' ? schema.attribute(ident) : undefined;
  if (attr === undefined) {
    fail('GSW_ERR_UNKNOWN_ATTRIBUTE', `item ${index}: unknown attribute ${JSON.stringify(ident)}`, {
      item: index,
      attribute: ident,
    });
  }
  return attr;
}

function malformed(index: number, rule: string): never {
  fail('GSW_ERR_TX_MALFORMED', `item ${index}: ${rule}`, { item: index, rule });
}
