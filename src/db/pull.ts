/**
 * Pull: an entity's facts as a nested object, shaped by a pattern (Datascript's pull, in JSON).
 *
 *   pattern = [ spec* ]
 *   spec    = "*"                      every attribute of the entity
 *           | "db/id"                  the entity id
 *           | attr                     an attribute; a ref comes back as { "db/id": id }
 *           | "ns/_name"               reverse ref: the entities whose ns/name points here
 *           | { attr-or-reverse: pattern }   follow the ref(s) and pull each with the pattern
 *
 * Cardinality-many attributes and reverse refs come back as arrays; absent attributes are
 * omitted; an entity with no visible facts pulls as null. Cost: the entity's datoms, plus the
 * pulled neighbours.
 */
import { fail } from '../errors.js';
import type { SchemaAttribute } from './schema.js';
import type { Value } from './types.js';
import { compareValues, type View } from './view.js';

export function pull(view: View, e: number, pattern: readonly unknown[]): Record<string, unknown> | null {
  if (!Array.isArray(pattern)) fail('GSW_ERR_BAD_PULL', 'a pull pattern must be an array');
  const facts = factsOf(view, e);
  if (facts.size === 0) return null;
  const out: Record<string, unknown> = {};
  for (const spec of pattern) {
    if (spec === '*') {
      out['db/id'] = e;
      for (const [attr, values] of facts) out[attr.ident] ??= shape(attr, values, undefined, view);
    } else if (spec === 'db/id') {
      out['db/id'] = e;
    } else if (typeof spec === 'string') {
      pullOne(view, e, facts, spec, undefined, out);
    } else if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
      for (const [key, sub] of Object.entries(spec)) {
        if (!Array.isArray(sub)) fail('GSW_ERR_BAD_PULL', `the pattern under ${key} must be an array`);
        pullOne(view, e, facts, key, sub, out);
      }
    } else {
      fail('GSW_ERR_BAD_PULL', `unsupported pull spec ${JSON.stringify(spec)}`);
    }
  }
  return out;
}

function pullOne(
  view: View,
  e: number,
  facts: Map<SchemaAttribute, Value[]>,
  key: string,
  sub: readonly unknown[] | undefined,
  out: Record<string, unknown>,
): void {
  const reverse = reverseAttribute(view, key);
  if (reverse !== undefined) {
    const holders = view.referrers(e, reverse).sort((x, y) => x - y);
    if (holders.length > 0) out[key] = holders.map((h) => (sub ? view.pull(h, sub) : { 'db/id': h }));
    return;
  }
  const attr = view.attributeNamed(key);
  const values = facts.get(attr);
  if (values === undefined) return;
  if (sub !== undefined && attr.valueType !== 'ref')
    fail('GSW_ERR_BAD_PULL', `${key} is not a ref; it takes no sub-pattern`);
  out[key] = shape(attr, values, sub, view);
}

function shape(
  attr: SchemaAttribute,
  values: Value[],
  sub: readonly unknown[] | undefined,
  view: View,
): unknown {
  const one = (v: Value) => {
    if (attr.valueType !== 'ref') return v;
    return sub ? view.pull(v as number, sub) : { 'db/id': v };
  };
  return attr.many ? [...values].sort(compareValues).map(one) : one(values[values.length - 1]!);
}

/** The ref attribute a reverse key like "tick/_market" names, if it is one. */
function reverseAttribute(view: View, key: string): SchemaAttribute | undefined {
  const slash = key.indexOf('/');
  if (slash < 0 || key[slash + 1] !== '_') return undefined;
  const attr = view.attribute(`${key.slice(0, slash)}/${key.slice(slash + 2)}`);
  if (attr === undefined || attr.valueType !== 'ref') return undefined;
  return attr;
}

/** The entity's visible values by attribute, in tx order. */
function factsOf(view: View, e: number): Map<SchemaAttribute, Value[]> {
  const facts = new Map<SchemaAttribute, Value[]>();
  const rows: { attr: SchemaAttribute; v: Value; tx: number }[] = [];
  view.match(e, undefined, undefined, (_e, a, v, tx) => rows.push({ attr: a as SchemaAttribute, v, tx }));
  rows.reverse();
  for (const row of rows) {
    const list = facts.get(row.attr) ?? [];
    list.push(row.v);
    facts.set(row.attr, list);
  }
  return facts;
}
