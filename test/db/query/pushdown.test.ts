/**
 * Predicates pushed into patterns, sampled selectivity and one-pattern `not`: the results must
 * not depend on whether the source offers the optional QuerySource methods.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, q } from '../../../src/db/query/index.js';
import type { QuerySource } from '../../../src/db/query/source.js';
import type { Attribute, Value } from '../../../src/db/types.js';
import { facts, marketDb, marketSchema, sorted } from './fixtures.js';
import { naiveSource } from './naive-source.js';

/** The naive source with matchLean and sampleValues, as a view has them. */
function richer(source: QuerySource): QuerySource {
  return {
    ...source,
    isHistory: source.isHistory,
    matchLean: (e, a, v, withTx, visit) =>
      source.match(e, a, v, (de, da, dv, tx, added) => visit(de, da, dv, withTx ? tx : 0, added)),
    sampleValues: (a: Attribute, count: number) => {
      const values: Value[] = [];
      source.match(undefined, a, undefined, (_e, _a, v) => {
        if (values.length < count) values.push(v);
      });
      return values;
    },
  };
}

const queries: unknown[] = [
  { find: ['?t', '?p'], where: [['?t', 'tick/price', '?p'], [['>', '?p', 95]]] },
  {
    find: ['?m', '?v'],
    where: [
      ['?t', 'tick/volume', '?v'],
      [['>', '?v', 4]],
      ['?t', 'tick/market', '?m'],
      ['?m', 'market/id', '_'],
    ],
  },
  {
    find: ['?m'],
    where: [
      ['?m', 'market/id', '_'],
      ['not', ['?m', 'market/name', '_']],
    ],
  },
  {
    find: ['?m'],
    where: [
      ['?m', 'market/id', '_'],
      ['not-join', ['?m'], ['?t', 'tick/market', '?m'], ['?t', 'tick/price', '?p'], [['>', '?p', 100]]],
    ],
  },
  {
    find: ['?t'],
    where: [
      ['?t', 'tick/market', '?m'],
      ['not', ['?t', 'tick/volume', '?v'], [['<', '?v', 1]]],
    ],
  },
  { find: ['?t', '?s'], where: [['?t', 'tick/price', '?p'], [['-', '?p', 10], '?s'], [['>', '?s', 90]]] },
];

test('pushed predicates and one-pattern not give the same rows with and without the optional methods', () => {
  const rich = richer(marketDb);
  for (const query of queries)
    assert.deepEqual(sorted(q(rich, query as never)), sorted(q(marketDb, query as never)));
  assert.deepEqual(sorted(q(marketDb, queries[0] as never)), [
    [10, 100],
    [11, 110],
  ]);
  assert.deepEqual(sorted(q(marketDb, queries[2] as never)), [[2]]);
  assert.deepEqual(sorted(q(marketDb, queries[3] as never)), [[2]]);
  assert.deepEqual(sorted(q(marketDb, queries[4] as never)), [[10], [12], [13]]);
});

test('a predicate that fails on some values runs only on the rows its pattern joins', () => {
  // p/age holds a string on an entity the join drops: pos? would throw on it.
  const db = naiveSource(
    { ...marketSchema, 'p/age': { valueType: 'number' }, 'p/tag': { valueType: 'string' } },
    [
      ...facts([
        [1, 'p/tag', 'x'],
        [1, 'p/age', 3],
        [2, 'p/age', 'old' as unknown as number],
      ]),
    ],
  );
  const query = { find: ['?e'], where: [['?e', 'p/tag', 'x'], ['?e', 'p/age', '?a'], [['pos?', '?a']]] };
  assert.deepEqual(q(richer(db), query), [[1]]);
  assert.deepEqual(q(db, query), [[1]]);
});

test('a sampled selective predicate makes its pattern the start of the plan', () => {
  const plan = explain(richer(marketDb), {
    find: ['?m', '?v'],
    where: [
      ['?m', 'market/id', '_'],
      ['?t', 'tick/market', '?m'],
      ['?t', 'tick/volume', '?v'],
      [['>', '?v', 6]],
    ],
  });
  assert.deepEqual(plan.steps[0].clause, ['?t', 'tick/volume', '?v']);
});
