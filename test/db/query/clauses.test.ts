import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { q } from '../../../src/db/query/index.js';
import { facts, marketDb, marketSchema, sorted } from './fixtures.js';
import { naiveSource } from './naive-source.js';

const run = (where: unknown[], find: unknown[] = ['?x']) => sorted(q(marketDb, { find, where }));

describe('data patterns', () => {
  test('variables, constants and blanks', () => {
    assert.deepEqual(run([['?e', 'market/tags', 'crypto']], ['?e']), [[1], [2]]);
    assert.deepEqual(run([[1, 'market/tags', '?x']]), [['crypto'], ['large']]);
    assert.deepEqual(run([['?x', 'market/tags', '_']]), [[1], [2]]);
    assert.deepEqual(run([['?x', 'market/name']]), [[1]]);
  });

  test('the $ source prefix is optional', () => {
    assert.deepEqual(run([['$', '?x', 'market/name', 'Bitcoin']]), [[1]]);
  });

  test('lookup refs in entity position and in the value of a ref attribute', () => {
    assert.deepEqual(run([[['market/id', 'm_eth'], 'market/tags', '?x']]), [['crypto']]);
    assert.deepEqual(run([['?x', 'tick/market', ['market/id', 'm_eth']]]), [[13], [14]]);
  });

  test('an attribute variable binds the ident', () => {
    assert.deepEqual(run([[2, '?x', '_']]), [['market/id'], ['market/tags']]);
  });

  test('joins across patterns, through refs', () => {
    const rows = run(
      [
        ['?t', 'tick/market', '?m'],
        ['?m', 'market/id', 'm_eth'],
        ['?t', 'tick/price', '?x'],
      ],
      ['?t', '?x'],
    );
    assert.deepEqual(rows, [
      [13, 10],
      [14, 12],
    ]);
  });

  test('tx and added positions bind, and history views show retractions', () => {
    const datoms = [
      { e: 1, a: 'market/id', v: 'a', tx: 5, added: true },
      { e: 1, a: 'market/id', v: 'a', tx: 6, added: false },
      { e: 1, a: 'market/id', v: 'b', tx: 6, added: true },
    ];
    const current = naiveSource(marketSchema, datoms);
    const history = naiveSource(marketSchema, datoms, true);
    const query = { find: ['?v', '?tx', '?op'], where: [['?e', 'market/id', '?v', '?tx', '?op']] };
    assert.deepEqual(q(current, query), [['b', 6, true]]);
    assert.deepEqual(sorted(q(history, query)), [
      ['a', 5, true],
      ['a', 6, false],
      ['b', 6, true],
    ]);
  });
});

describe('predicates and functions', () => {
  test('comparisons take several arguments and order mixed types as Datascript', () => {
    const check = (fn: string, ...args: unknown[]) =>
      q(marketDb, { find: ['?x', '.'], where: [[[fn, ...args]], [['ground', 1], '?x']] }) === 1;
    assert.equal(check('<', 1, 2, 3), true);
    assert.equal(check('<', 1, 3, 2), false);
    assert.equal(check('<', 1, 'a'), true);
    assert.equal(check('<', true, 0), true);
    assert.equal(check('>=', 'b', 'a', 'a'), true);
    assert.equal(check('=', 2, 2, 2), true);
    assert.equal(check('=', '1', 1), false);
    assert.equal(check('!=', '1', 1), true);
    assert.equal(check('not=', [1, 2], [1, 2]), false);
  });

  test('arithmetic, strings and tuples', () => {
    const value = (fn: string, ...args: unknown[]) =>
      q(marketDb, { find: ['?x', '.'], where: [[[fn, ...args], '?x']] });
    assert.equal(value('+', 1, 2, 3), 6);
    assert.equal(value('-', 5), -5);
    assert.equal(value('/', 1, 4), 0.25);
    assert.equal(value('quot', -7, 2), -3);
    assert.equal(value('rem', -7, 2), -1);
    assert.equal(value('mod', -7, 2), 1);
    assert.equal(value('inc', 1), 2);
    assert.equal(value('max', 1, 5, 3), 5);
    assert.equal(value('str', 'a', 1, null, true), 'a1true');
    assert.equal(value('subs', 'hello', 1, 3), 'el');
    assert.equal(value('count', 'abc'), 3);
    assert.deepEqual(value('tuple', 1, 'a'), [1, 'a']);
    assert.deepEqual(value('identity', [1]), [1]);
  });

  test('binding forms: scalar, tuple, collection, relation', () => {
    assert.deepEqual(run([[['ground', 3], '?x']]), [[3]]);
    assert.deepEqual(
      run(
        [
          [
            ['ground', [1, 2]],
            ['?x', '?y'],
          ],
        ],
        ['?x', '?y'],
      ),
      [[1, 2]],
    );
    assert.deepEqual(
      run([
        [
          ['untuple', [1, 2]],
          ['_', '?x'],
        ],
      ]),
      [[2]],
    );
    assert.deepEqual(
      run([
        [
          ['ground', [1, 2, 2]],
          ['?x', '...'],
        ],
      ]),
      [[1], [2]],
    );
    const rel = [
      [
        [
          'ground',
          [
            [1, 'a'],
            [2, 'b'],
          ],
        ],
        [['?x', '?y']],
      ],
    ];
    assert.deepEqual(run(rel, ['?x', '?y']), [
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  test('a bound output variable filters; a nil result drops the row', () => {
    assert.deepEqual(
      run(
        [
          ['?e', 'tick/price', '?p'],
          [['+', 90, 10], '?p'],
        ],
        ['?e'],
      ),
      [[10]],
    );
    assert.deepEqual(
      run([
        ['?e', 'market/id', '_'],
        [['get-else', '$', '?e', 'market/name', 'none'], '?x'],
      ]),
      [['Bitcoin'], ['none']],
    );
    assert.deepEqual(run([['?x', 'market/id', '_'], [['missing?', '$', '?x', 'market/name']]]), [[2]]);
    assert.deepEqual(
      run([
        ['?x', 'market/id', '_'],
        [['identity', null], '?y'],
      ]),
      [],
    );
  });

  test('predicates wait for their variables whatever the written order', () => {
    assert.deepEqual(run([[['>', '?x', 100]], ['?e', 'tick/price', '?x']]), [[110]]);
  });
});

describe('negation and disjunction', () => {
  test('not removes rows whose variables match', () => {
    const where = [
      ['?x', 'tick/price', '_'],
      ['not', ['?x', 'tick/volume', 0]],
    ];
    assert.deepEqual(run(where), [[10], [12], [13]]);
  });

  test('not with several clauses, and not-join with local variables', () => {
    const where = [
      ['?x', 'tick/market', '_'],
      ['not-join', ['?x'], ['?x', 'tick/market', '?m'], ['?m', 'market/id', 'm_btc']],
    ];
    assert.deepEqual(run(where), [[13], [14]]);
    const both = [
      ['?x', 'tick/price', '?p'],
      ['not', ['?x', 'tick/volume', 0], [['>', '?p', 50]]],
    ];
    assert.deepEqual(run(both), [[10], [12], [13], [14]]);
  });

  test('or unites branches over the same variables; and groups clauses', () => {
    const where = [
      ['?x', 'tick/price', '?p'],
      [
        'or',
        ['and', ['?x', 'tick/volume', 0], [['>=', '?p', 0]]],
        ['and', ['?x', 'tick/market', 1], [['<', '?p', 95]]],
      ],
    ];
    assert.deepEqual(run(where), [[11], [12], [14]]);
  });

  test('or-join projects onto its variables and waits for required ones', () => {
    const where = [
      ['?x', 'market/id', '_'],
      [
        'or-join',
        [['?x'], '?tag'],
        ['?x', 'market/tags', '?tag'],
        ['and', ['?x', 'market/name', '?n'], [['str', '?n'], '?tag']],
      ],
    ];
    assert.deepEqual(run(where, ['?x', '?tag']), [
      [1, 'Bitcoin'],
      [1, 'crypto'],
      [1, 'large'],
      [2, 'crypto'],
    ]);
  });

  test('or branches may bind from constants alone', () => {
    const small = naiveSource(marketSchema, facts([[1, 'market/id', 'a']]));
    const where = [['or', [['ground', 1], '?x'], [['ground', 2], '?x']]];
    assert.deepEqual(sorted(q(small, { find: ['?x'], where })), [[1], [2]]);
  });
});
