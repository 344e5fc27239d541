/**
 * Query budgets: a query that would build a huge relation or run too long ends with a coded
 * error naming the limit (issue: a cross product of two attributes aborted the process).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queryWith } from '../../../src/db/query/index.js';
import { GswarmError } from '../../../src/errors.js';
import { facts } from './fixtures.js';
import { naiveSource } from './naive-source.js';

const ticks = 400;
const db = naiveSource(
  { 'tick/price': { valueType: 'number' }, 'tick/volume': { valueType: 'number' } },
  facts(
    Array.from({ length: ticks }, (_, i): [number, string, number][] => [
      [i + 1, 'tick/price', i],
      [i + 1, 'tick/volume', i % 7],
    ]).flat(),
  ),
);
const crossProduct = {
  find: [['count', '?a']],
  where: [
    ['?a', 'tick/price', '?p'],
    ['?b', 'tick/volume', '?v'],
  ],
};

function endsWith(run: () => unknown, code: string, limit: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof GswarmError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.data.limit, limit);
    assert.match(error.message, new RegExp(limit));
    return true;
  });
}

test('a cross product beyond queryRowsMax ends with GSW_ERR_QUERY_ROWS', () => {
  endsWith(() => queryWith(db, crossProduct, { queryRowsMax: 10_000 }), 'GSW_ERR_QUERY_ROWS', 'queryRowsMax');
});

test('the same query within the row budget answers', () => {
  assert.deepEqual(queryWith(db, crossProduct, { queryRowsMax: ticks * ticks }), [[ticks]]);
});

test('a query past queryMsMax ends with GSW_ERR_QUERY_TIMEOUT (clock advanced by the test)', () => {
  let clock = 0;
  const now = () => (clock += 1000);
  endsWith(
    () => queryWith(db, crossProduct, { queryMsMax: 5000, now }),
    'GSW_ERR_QUERY_TIMEOUT',
    'queryMsMax',
  );
});

test('the budget ends with the query: the next query has a fresh one', () => {
  assert.throws(() => queryWith(db, crossProduct, { queryRowsMax: 10_000 }));
  assert.deepEqual(queryWith(db, { find: [['count', '?a']], where: [['?a', 'tick/price']] }), [[ticks]]);
});

test('a recursive rule of many small rounds meets the time budget', () => {
  const chain = naiveSource(
    { 'node/next': { valueType: 'ref' } },
    facts(Array.from({ length: 60 }, (_, i): [number, string, number] => [i + 1, 'node/next', i + 2])),
  );
  const rules = [
    [
      ['reach', '?a', '?b'],
      ['?a', 'node/next', '?b'],
    ],
    [
      ['reach', '?a', '?b'],
      ['?a', 'node/next', '?c'],
      ['reach', '?c', '?b'],
    ],
  ];
  const query = { find: [['count', '?b']], in: ['$', '%'], where: [['reach', 1, '?b']] };
  assert.deepEqual(queryWith(chain, query, { inputs: [rules], queryMsMax: 600_000 }), [[60]]);
  let clock = 0;
  const now = () => (clock += 10_000);
  endsWith(
    () => queryWith(chain, query, { inputs: [rules], queryMsMax: 5000, now }),
    'GSW_ERR_QUERY_TIMEOUT',
    'queryMsMax',
  );
});
