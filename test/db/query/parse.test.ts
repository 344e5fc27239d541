import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readEdn } from '../../../src/db/query/edn.js';
import { explain, parseQuery, q } from '../../../src/db/query/index.js';
import { marketDb, sorted } from './fixtures.js';

test('the EDN reader maps EDN onto the JSON form', () => {
  const form = readEdn(
    '[:find ?x (count ?y) . :in $ [?z ...] :where [?x :market/id "m_1"] ; comment\n [(> ?y 1.5)] nil true]',
  );
  assert.deepEqual(form, [
    'find',
    '?x',
    ['count', '?y'],
    '.',
    'in',
    '$',
    ['?z', '...'],
    'where',
    ['?x', 'market/id', 'm_1'],
    [['>', '?y', 1.5]],
    null,
    true,
  ]);
  assert.deepEqual(readEdn('{:find [?x] :where [[?x :a 1]]}'), { find: ['?x'], where: [['?x', 'a', 1]] });
});

test('EDN queries, in vector or map form, answer like their JSON twins', () => {
  const edn = `[:find ?id (count ?t) :in $ ?min
                :where [?t :tick/market ?m] [?m :market/id ?id] [?t :tick/price ?p] [(> ?p ?min)]
                       (not [?t :tick/volume 0])]`;
  assert.deepEqual(sorted(q(marketDb, edn, 50)), [['m_btc', 2]]);
  assert.deepEqual(q(marketDb, '{:find [?n .] :where [[1 :market/name ?n]]}'), 'Bitcoin');
});

test('parsing is cached: the same text or object gives the same parsed query, which q accepts', () => {
  const text = '[:find ?x :where [?x :market/id _]]';
  const parsed = parseQuery(text);
  assert.equal(parseQuery(text), parsed);
  assert.equal(parseQuery(parsed), parsed);
  const json = { find: ['?x'], where: [['?x', 'market/id', '_']] };
  assert.equal(parseQuery(json), parseQuery({ ...json }));
  assert.deepEqual(sorted(q(marketDb, parsed)), [[1], [2]]);
});

test('explain orders clauses by selectivity and names indexes and joins', () => {
  const plan = explain(
    marketDb,
    {
      find: ['?p'],
      in: ['$', '?id'],
      where: [
        ['?t', 'tick/price', '?p'],
        ['?t', 'tick/market', '?m'],
        ['?m', 'market/id', '?id'],
        [['>', '?p', 0]],
      ],
    },
    'm_eth',
  );
  assert.equal(plan.inputRows, 1);
  assert.deepEqual(
    plan.steps.map((s) => [s.clause, s.index, s.join]),
    [
      [['?m', 'market/id', '?id'], 'AVET', 'lookup'],
      [['?t', 'tick/market', '?m'], 'AVET', 'lookup'],
      [['?t', 'tick/price', '?p'], 'EAVT', 'lookup'],
      [[['>', '?p', 0]], undefined, undefined],
    ],
  );
  assert.ok(plan.steps.every((s) => Number.isFinite(s.estimatedRows)));
  assert.doesNotThrow(() => JSON.stringify(plan));
});
