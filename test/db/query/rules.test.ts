import assert from 'node:assert/strict';
import { test } from 'node:test';
import { q } from '../../../src/db/query/index.js';
import type { Datom } from '../../../src/db/types.js';
import { marketDb, marketSchema, sorted } from './fixtures.js';
import { naiveSource } from './naive-source.js';

const ancestor = [
  [
    ['ancestor', '?a', '?b'],
    ['?a', 'node/parent', '?b'],
  ],
  [
    ['ancestor', '?a', '?b'],
    ['?a', 'node/parent', '?c'],
    ['ancestor', '?c', '?b'],
  ],
];

test('a non-recursive rule with several definitions is their union', () => {
  const rules = [
    [['liquid', '?t'], ['?t', 'tick/volume', '?v'], [['>', '?v', 4]]],
    [
      ['liquid', '?t'],
      ['?t', 'tick/price', 12],
    ],
  ];
  const rows = q(marketDb, { find: ['?t'], in: ['$', '%'], where: [['liquid', '?t']] }, rules);
  assert.deepEqual(sorted(rows), [[10], [13], [14]]);
});

test('a recursive rule computes the transitive closure of a ref chain', () => {
  const all = q(
    marketDb,
    { find: ['?a', '?b'], in: ['$', '%'], where: [['ancestor', '?a', '?b']] },
    ancestor,
  );
  assert.deepEqual(
    sorted(all),
    sorted([
      [21, 20],
      [22, 21],
      [23, 22],
      [22, 20],
      [23, 21],
      [23, 20],
    ]),
  );
  const query = {
    find: [['?n', '...']],
    in: ['$', '%', '?start'],
    where: [
      ['ancestor', '?start', '?b'],
      ['?b', 'node/name', '?n'],
    ],
  };
  assert.deepEqual(sorted(q(marketDb, query, ancestor, 23)), ['a', 'b', 'root']);
});

test('recursion terminates on cycles', () => {
  const cycle: Datom[] = [1, 2, 3].map((e) => ({ e, a: 'node/parent', v: (e % 3) + 1, tx: 1, added: true }));
  const db = naiveSource(marketSchema, cycle);
  const rows = q(db, { find: ['?b'], in: ['$', '%'], where: [['ancestor', 1, '?b']] }, ancestor);
  assert.deepEqual(sorted(rows), [[1], [2], [3]]);
});

test('mutual recursion: even and odd distances along the chain', () => {
  const rules = [
    [
      ['odd', '?a', '?b'],
      ['?a', 'node/parent', '?b'],
    ],
    [
      ['odd', '?a', '?b'],
      ['?a', 'node/parent', '?c'],
      ['even', '?c', '?b'],
    ],
    [
      ['even', '?a', '?b'],
      ['?a', 'node/parent', '?c'],
      ['odd', '?c', '?b'],
    ],
  ];
  const even = q(marketDb, { find: ['?a', '?b'], in: ['$', '%'], where: [['even', '?a', '?b']] }, rules);
  assert.deepEqual(sorted(even), [
    [22, 20],
    [23, 21],
  ]);
});

test('a recursive rule may recurse through or', () => {
  const rules = [
    [
      ['reach', '?a', '?b'],
      [
        'or-join',
        ['?a', '?b'],
        ['?a', 'node/parent', '?b'],
        ['and', ['?a', 'node/parent', '?c'], ['reach', '?c', '?b']],
      ],
    ],
  ];
  const rows = q(marketDb, { find: ['?b'], in: ['$', '%'], where: [['reach', 22, '?b']] }, rules);
  assert.deepEqual(sorted(rows), [[20], [21]]);
});

test('rules given as an EDN string, with required-bound parameters', () => {
  const rules = '[[(priced [?t] ?p) [?t :tick/price ?p]]]';
  const query = {
    find: ['?p'],
    in: ['$', '%'],
    where: [
      ['?t', 'tick/market', 2],
      ['priced', '?t', '?p'],
    ],
  };
  assert.deepEqual(sorted(q(marketDb, query, rules)), [[10], [12]]);
});

test('rules may call other rules and use constants as arguments', () => {
  const rules = [
    ...ancestor,
    [
      ['rootOf', '?a', '?r'],
      ['ancestor', '?a', '?r'],
      ['not', ['?r', 'node/parent', '_']],
    ],
  ];
  const rows = q(marketDb, { find: ['?a'], in: ['$', '%'], where: [['rootOf', '?a', 20]] }, rules);
  assert.deepEqual(sorted(rows), [[21], [22], [23]]);
});
