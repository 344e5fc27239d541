import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { q } from '../../../src/db/query/index.js';
import { marketDb, sorted } from './fixtures.js';

const ticks = [
  ['?t', 'tick/market', '?m'],
  ['?t', 'tick/price', '?p'],
  ['?t', 'tick/volume', '?v'],
];

describe('find specs', () => {
  test('relation, collection, scalar and tuple', () => {
    const where = [['?m', 'market/id', '?id']];
    assert.deepEqual(sorted(q(marketDb, { find: ['?m', '?id'], where })), [
      [1, 'm_btc'],
      [2, 'm_eth'],
    ]);
    assert.deepEqual(sorted(q(marketDb, { find: [['?id', '...']], where })), ['m_btc', 'm_eth']);
    assert.equal(q(marketDb, { find: ['?id', '.'], where: [[1, 'market/id', '?id']] }), 'm_btc');
    assert.deepEqual(
      q(marketDb, {
        find: [['?m', '?id']],
        where: [
          ['?m', 'market/id', 'm_eth'],
          ['?m', 'market/id', '?id'],
        ],
      }),
      [2, 'm_eth'],
    );
    assert.equal(q(marketDb, { find: ['?id', '.'], where: [[3, 'market/id', '?id']] }), null);
  });

  test('relation results are sets', () => {
    assert.deepEqual(
      q(marketDb, { find: ['?tag'], where: [['_', 'market/tags', '?tag'], [['=', '?tag', 'crypto']]] }),
      [['crypto']],
    );
  });
});

describe('aggregates', () => {
  const agg = (fn: string, extra: unknown[] = []) =>
    sorted(q(marketDb, { find: ['?m', [fn, ...extra, '?v']], where: ticks }));

  test('count counts distinct values per group unless with is given', () => {
    assert.deepEqual(agg('count'), [
      [1, 3],
      [2, 2],
    ]);
    assert.deepEqual(sorted(q(marketDb, { find: [['count', '?v']], where: ticks })), [[4]]);
    assert.deepEqual(q(marketDb, { find: [['count', '?v']], with: ['?t'], where: ticks }), [[5]]);
    assert.deepEqual(agg('count-distinct'), [
      [1, 3],
      [2, 2],
    ]);
  });

  test('sum, avg, median, min, max', () => {
    assert.deepEqual(agg('sum'), [
      [1, 7],
      [2, 7],
    ]);
    assert.deepEqual(agg('avg'), [
      [1, 7 / 3],
      [2, 3.5],
    ]);
    assert.deepEqual(agg('median'), [
      [1, 2],
      [2, 3.5],
    ]);
    assert.deepEqual(agg('min'), [
      [1, 0],
      [2, 0],
    ]);
    assert.deepEqual(agg('max'), [
      [1, 5],
      [2, 7],
    ]);
    assert.deepEqual(agg('max', [2]), [
      [1, [2, 5]],
      [2, [0, 7]],
    ]);
    assert.deepEqual(
      sorted(q(marketDb, { find: [['distinct', '?v'], '.'], where: ticks }) as unknown[]),
      [0, 2, 5, 7],
    );
  });

  test('an aggregate over no rows: no groups, scalar null', () => {
    const where = [['?t', 'tick/price', '?p'], [['>', '?p', 1000]]];
    assert.deepEqual(q(marketDb, { find: [['count', '?p']], where }), []);
    assert.equal(q(marketDb, { find: [['sum', '?p'], '.'], where }), null);
  });
});

describe('pull', () => {
  test('pull delegates to the source per row', () => {
    const rows = q(marketDb, {
      find: [['pull', '?m', ['market/id', 'market/name']]],
      where: [['?m', 'market/tags', 'large']],
    });
    assert.deepEqual(rows, [[{ 'market/id': 'm_btc', 'market/name': 'Bitcoin' }]]);
    const nested = q(marketDb, {
      find: [['pull', '?t', [{ 'tick/market': ['market/id'] }]], '.'],
      where: [['?t', 'tick/price', 12]],
    });
    assert.deepEqual(nested, { 'tick/market': { 'market/id': 'm_eth' } });
  });
});

describe('inputs', () => {
  const query = (input: unknown) => ({ find: ['?t'], in: ['$', input], where: [['?t', 'tick/price', '?p']] });

  test('scalar, collection, tuple and relation inputs', () => {
    assert.deepEqual(q(marketDb, query('?p'), 90), [[12]]);
    assert.deepEqual(sorted(q(marketDb, query(['?p', '...']), [90, 10, 1])), [[12], [13]]);
    assert.deepEqual(q(marketDb, query(['?p', '_']), [110, 'ignored']), [[11]]);
    const rel = { find: ['?t', '?p'], in: ['$', [['?t', '?p']]], where: [['?t', 'tick/price', '?p']] };
    assert.deepEqual(
      sorted(
        q(marketDb, rel, [
          [10, 100],
          [11, 1],
          [12, 90],
        ]),
      ),
      [
        [10, 100],
        [12, 90],
      ],
    );
  });

  test('inputs alone, with $ anywhere in in', () => {
    assert.deepEqual(sorted(q(marketDb, { find: ['?x', '?y'], in: ['?x', '$', ['?y', '...']] }, 1, [2, 3])), [
      [1, 2],
      [1, 3],
    ]);
  });

  test('an empty collection input gives no rows', () => {
    assert.deepEqual(q(marketDb, query(['?p', '...']), []), []);
  });
});
