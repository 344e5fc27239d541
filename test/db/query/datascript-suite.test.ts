/** Runs Datascript's query test suite (datascript-suite.ts) on Datascript and on Gswarm; the answers must agree. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
// @ts-expect-error datascript ships no type declarations
import ds from 'datascript';
import { parseQuery, q } from '../../../src/db/query/index.js';
import type { Datom, SchemaSpec } from '../../../src/db/types.js';
import { type SuiteCase, type SuiteDb, suite } from './datascript-suite.js';
import { sorted } from './fixtures.js';
import { naiveSource } from './naive-source.js';

function gswarmDb(db: SuiteDb) {
  const schema: SchemaSpec = {};
  for (const [ident, spec] of Object.entries(db.schema)) {
    schema[ident] = {
      valueType: spec.valueType,
      cardinality: spec.many ? 'many' : 'one',
      unique: spec.unique ? 'identity' : undefined,
    };
  }
  const datoms: Datom[] = db.datoms.map(([e, a, v]) => ({ e, a, v: v as Datom['v'], tx: 1, added: true }));
  return naiveSource(schema, datoms);
}

function datascriptDb(db: SuiteDb) {
  const schema: Record<string, Record<string, string>> = {};
  for (const [ident, spec] of Object.entries(db.schema)) {
    const s: Record<string, string> = {};
    if (spec.valueType === 'ref') s[':db/valueType'] = ':db.type/ref';
    if (spec.many) s[':db/cardinality'] = ':db.cardinality/many';
    if (spec.unique) s[':db/unique'] = ':db.unique/identity';
    schema[ident] = s;
  }
  return ds.db_with(
    ds.empty_db(schema),
    db.datoms.map(([e, a, v]) => [':db/add', e, a, v]),
  );
}

/** Datascript's JS results in Gswarm's shapes: pulled `id` is `db/id`; sets compared sorted. */
function normalize(result: unknown, top = true): unknown {
  if (Array.isArray(result)) {
    const items = result.map((r) => normalize(r, false));
    return top ? sorted(items) : items;
  }
  if (result !== null && typeof result === 'object') {
    const entries = Object.entries(result).map(([k, v]): [string, unknown] => [
      k === 'id' ? 'db/id' : k,
      normalize(v, false),
    ]);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  return result;
}

const takesDb = (c: SuiteCase) =>
  parseQuery(c.query).inputs.some((i) => i.kind === 'source' && i.name === '$');

for (const c of suite) {
  test(`Datascript suite: ${c.name}`, () => {
    const inputs = c.inputs ?? [];
    const theirs = ds.q(c.query, ...(takesDb(c) ? [datascriptDb(c.db)] : []), ...inputs);
    const ours = q(gswarmDb(c.db), c.query, ...inputs);
    const shape = (r: unknown) =>
      c.query.includes(' . ') || c.query.includes(':find [') ? normalize(r, false) : normalize(r);
    assert.deepEqual(shape(ours), shape(theirs), c.query);
  });
}
