/**
 * The naive model of a QuerySource: a plain list of datoms, every method a filter over it. The
 * query engine is tested against it, and the fact database's views are compared with it.
 */
import type { QuerySource } from '../../../src/db/query/source.js';
import type { Attribute, Datom, SchemaSpec, Value } from '../../../src/db/types.js';

export function attributesOf(schema: SchemaSpec): Attribute[] {
  return Object.entries(schema).map(([ident, spec], i) => ({
    id: i + 1,
    ident,
    valueType: spec.valueType,
    many: spec.cardinality === 'many',
    unique: spec.unique,
    indexed: spec.indexed === true || spec.unique !== undefined || spec.valueType === 'ref',
    immutable: spec.immutable === true,
    doc: spec.doc,
  }));
}

const sameValue = (a: Value, b: Value) => JSON.stringify(a) === JSON.stringify(b);

/** Live datoms: the last datom of each (e, a, v) by tx, when it is an assertion. */
function live(datoms: readonly Datom[]): Datom[] {
  const last = new Map<string, Datom>();
  for (const d of [...datoms].sort((x, y) => x.tx - y.tx)) last.set(JSON.stringify([d.e, d.a, d.v]), d);
  return [...last.values()].filter((d) => d.added);
}

export function naiveSource(schema: SchemaSpec, datoms: readonly Datom[], history = false): QuerySource {
  const attributes = attributesOf(schema);
  const visible = history ? [...datoms] : live(datoms);
  const attribute = (ident: string) => attributes.find((a) => a.ident === ident);
  const matching = (e: number | undefined, a: Attribute | undefined, v: Value | undefined) =>
    visible.filter(
      (d) =>
        (e === undefined || d.e === e) &&
        (a === undefined || d.a === a.ident) &&
        (v === undefined || sameValue(d.v, v)),
    );

  const source: QuerySource = {
    attribute,
    attributeById: (id) => attributes.find((a) => a.id === id),
    attributes: () => attributes,
    isHistory: history,
    match(e, a, v, visit) {
      for (const d of matching(e, a, v)) visit(d.e, attribute(d.a)!, d.v, d.tx, d.added);
    },
    estimate: (e, a, v) => matching(e, a, v).length,
    pull: (e, pattern) => pull(e, pattern),
  };

  function pull(e: number, pattern: readonly unknown[]): Record<string, unknown> | null {
    if (matching(e, undefined, undefined).length === 0) return null;
    // As Datascript's pull: db/id only when the pattern asks for it ("*" or "db/id").
    const result: Record<string, unknown> = {};
    for (const item of pattern) {
      if (item === '*' || item === 'db/id') result['db/id'] = e;
      if (item === '*') for (const a of attributes) pullAttribute(result, e, a.ident, undefined);
      else if (typeof item === 'string') pullAttribute(result, e, item, undefined);
      else if (typeof item === 'object' && item !== null) {
        for (const [ident, sub] of Object.entries(item)) pullAttribute(result, e, ident, sub as unknown[]);
      }
    }
    return result;
  }

  function pullAttribute(
    into: Record<string, unknown>,
    e: number,
    ident: string,
    sub: unknown[] | undefined,
  ): void {
    const reverse = ident.includes('/_');
    const a = attribute(reverse ? ident.replace('/_', '/') : ident);
    if (a === undefined || ident === 'db/id') return;
    const found = reverse
      ? matching(undefined, a, e).map((d) => d.e)
      : matching(e, a, undefined).map((d) => d.v);
    if (found.length === 0) return;
    const shown = found.map((v) =>
      a.valueType === 'ref' ? (sub === undefined ? { 'db/id': v } : pull(v as number, sub)) : v,
    );
    into[ident] = a.many || reverse ? shown : shown[0];
  }

  return source;
}
