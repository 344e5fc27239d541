/**
 * Datascript features: several sources (views as of two txs: the time-travel join; collections
 * of tuples), return maps, a pull pattern as an input, aggregates, get-some, nested bindings,
 * `_` bindings, and functions passed as inputs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Connection } from '../../../src/index.js';
import { sorted } from './fixtures.js';
import { openPeople } from './people.js';

describe('Datascript features on a Gswarm store', () => {
  let conn: Connection;
  let id: Record<string, number>;
  let before1: number;
  before(async () => {
    conn = await openPeople();
    before1 = conn.view.basisTx;
    const ids = conn.view.q({ find: ['?n', '?e'], where: [['?e', 'person/name', '?n']] }) as [
      string,
      number,
    ][];
    id = Object.fromEntries(ids);
    // Later: Ivan turns 12, Petr's age is retracted.
    await conn.transact([
      ['db/add', id.Ivan, 'person/age', 12],
      ['db/retract', id.Petr, 'person/age', 22],
    ]);
  });
  after(() => conn.close());
  const view = () => conn.view;

  it('joins two points in time: what changed, and what was known then and retracted since', () => {
    const changed = {
      find: ['?n', '?then', '?now'],
      in: ['$then', '$now'],
      where: [
        ['$then', '?e', 'person/age', '?then'],
        ['$now', '?e', 'person/age', '?now'],
        [['!=', '?then', '?now']],
        ['$now', '?e', 'person/name', '?n'],
      ],
    };
    assert.deepEqual(view().q(changed, view().asOf(before1), view()), [['Ivan', 11, 12]]);
    const retracted = {
      find: ['?n', '?a'],
      in: ['$', '$then'],
      where: [
        ['$then', '?e', 'person/age', '?a'],
        ['not', ['?e', 'person/age']],
        ['?e', 'person/name', '?n'],
      ],
    };
    assert.deepEqual(view().q(retracted, view().asOf(before1)), [['Petr', 22]]);
    // The same sources given by name.
    assert.deepEqual(view().query(changed, { sources: { $then: view().asOf(before1), $now: view() } }), [
      ['Ivan', 11, 12],
    ]);
  });

  it('rules, not, get-else and missing? on a named source', () => {
    const rules = [
      [
        ['aged', '?e', '?a'],
        ['?e', 'person/age', '?a'],
      ],
    ];
    const query = { find: ['?a'], in: ['$', '$then', '%'], where: [['$then', 'aged', id.Petr, '?a']] };
    assert.deepEqual(view().q(query, view().asOf(before1), rules), [[22]]);
    const getElse = {
      find: ['?x', '?m'],
      in: ['$', '$then'],
      where: [
        [['get-else', '$then', id.Petr, 'person/age', 0], '?x'],
        [['missing?', '$', id.Petr, 'person/age'], '?m'],
      ],
    };
    assert.deepEqual(view().q(getElse, view().asOf(before1)), [[22, true]]);
    const notThen = {
      find: ['?n'],
      in: ['$', '$then'],
      where: [
        ['?e', 'person/name', '?n'],
        ['$then', 'not', ['?e', 'person/age', 11]],
      ],
    };
    assert.deepEqual(sorted(view().q(notThen, view().asOf(before1))), [['Oleg'], ['Petr']]);
  });

  it('a collection of tuples as a source', () => {
    const query = {
      find: ['?n', '?city'],
      in: ['$', '$cities'],
      where: [
        ['?e', 'person/name', '?n'],
        ['$cities', '?n', '?city'],
      ],
    };
    const cities = [
      ['Ivan', 'Moscow'],
      ['Oleg', 'Kazan'],
      ['Nobody', 'Paris'],
    ];
    assert.deepEqual(sorted(view().q(query, cities)), [
      ['Ivan', 'Moscow'],
      ['Oleg', 'Kazan'],
    ]);
  });

  it('return maps: keys, syms, strs', () => {
    const query = {
      find: ['?n', '?a'],
      keys: ['name', 'age'],
      where: [
        ['?e', 'person/name', '?n'],
        ['?e', 'person/age', '?a'],
      ],
    };
    assert.deepEqual(
      sorted(view().q(query)),
      sorted([
        { name: 'Ivan', age: 12 },
        { name: 'Oleg', age: 33 },
      ]),
    );
    const tuple = {
      find: [['?n', '?a']],
      strs: ['n', 'a'],
      where: [
        ['?e', 'person/name', 'Oleg'],
        ['?e', 'person/name', '?n'],
        ['?e', 'person/age', '?a'],
      ],
    };
    assert.deepEqual(view().q(tuple), { n: 'Oleg', a: 33 });
    assert.deepEqual(sorted(view().q('[:find ?a :syms age :where [_ "person/age" ?a]]')), [
      { age: 12 },
      { age: 33 },
    ]);
  });

  it('a pull pattern as an input, and pull on a named source', () => {
    const query = {
      find: [['pull', '?e', '?pattern']],
      in: ['$', '?pattern'],
      where: [['?e', 'person/name', 'Ivan']],
    };
    assert.deepEqual(view().q(query, ['person/age']), [[{ 'person/age': 12 }]]);
    const then = {
      find: [['pull', '$then', '?e', ['person/age']]],
      in: ['$', '$then'],
      where: [['?e', 'person/name', 'Petr']],
    };
    assert.deepEqual(view().q(then, view().asOf(before1)), [[{ 'person/age': 22 }]]);
  });

  it('aggregates: variance, stddev, distinct, sample, rand, counts from inputs, custom', () => {
    const ages = (agg: unknown[], ...inputs: unknown[]) =>
      view().q(
        { find: [agg], in: ['$', ...inputs.map((_, i) => `?in${i}`)], where: [['_', 'person/age', '?a']] },
        ...inputs,
      );
    // Ages now: 12 and 33 (Petr's retracted).
    assert.deepEqual(ages(['variance', '?a']), [[110.25]]);
    assert.deepEqual(ages(['stddev', '?a']), [[10.5]]);
    assert.deepEqual(ages(['max', '?in0', '?a'], 1), [[[33]]]);
    assert.deepEqual(sorted((ages(['sample', 5, '?a']) as unknown[][])[0][0]), [12, 33]);
    assert.ok([12, 33].includes((ages(['rand', '?a']) as unknown[][])[0][0] as number));
    const spread = (n: number, values: number[]) => n * (Math.max(...values) - Math.min(...values));
    assert.deepEqual(ages(['aggregate', '?in0', '?in1', '?a'], spread, 2), [[42]]);
  });

  it('get-some, nested bindings, _ bindings, functions as inputs', () => {
    const getSome = {
      find: ['?attr', '?v'],
      where: [
        ['?e', 'person/name', 'Oleg'],
        [
          ['get-some', '$', '?e', 'person/friend', 'person/parent'],
          ['?attr', '?v'],
        ],
      ],
    };
    assert.deepEqual(view().q(getSome), [['person/parent', id.Ivan]]);
    const nested = { find: ['?k', '?v'], in: ['$', [['?k', ['?v', '...']]]] };
    assert.deepEqual(
      sorted(
        view().q(nested, [
          ['a', [1, 2]],
          ['b', [3]],
        ]),
      ),
      [
        ['a', 1],
        ['a', 2],
        ['b', 3],
      ],
    );
    const blank = {
      find: ['?n'],
      where: [
        ['?e', 'person/name', '?n'],
        [['get-else', '$', '?e', 'person/friend', 0], '_'],
      ],
    };
    assert.equal((view().q(blank) as unknown[]).length, 3);
    const fns = {
      find: ['?n', '?x'],
      in: ['$', '?long?', '?shout'],
      where: [['?e', 'person/name', '?n'], [['?long?', '?n', 4]], [['?shout', '?n'], '?x']],
    };
    const long = (s: string, n: number) => s.length >= n;
    const shout = (s: string) => s.toUpperCase();
    assert.deepEqual(sorted(view().q(fns, long, shout)), [
      ['Ivan', 'IVAN'],
      ['Oleg', 'OLEG'],
      ['Petr', 'PETR'],
    ]);
  });
});
