/**
 * Subscriptions: after every tx of a random history, the delivered rows added and removed are
 * exactly the difference between re-running the query before and after the tx, for conjunctive
 * queries (maintained incrementally) and others (re-run).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Change } from '../../src/db/subscription.js';
import { open, storage } from '../../src/index.js';
import { fakeClock, historyArb, schemaTx } from './arbitraries.js';

const queries: [unknown, unknown[]][] = [
  [{ find: ['?e', '?n'], where: [['?e', 'p/name', '?n']] }, []],
  [
    {
      find: ['?n', '?t'],
      where: [
        ['?e', 'p/name', '?n'],
        ['?e', 'p/tags', '?t'],
      ],
    },
    [],
  ],
  [
    {
      find: ['?a', '?b'],
      where: [
        ['?x', 'p/best', '?y'],
        ['?x', 'p/name', '?a'],
        ['?y', 'p/name', '?b'],
      ],
    },
    [],
  ],
  [{ find: ['?e', '?s'], where: [['?e', 'p/score', '?s'], [['>', '?s', 0.5]]] }, []],
  [
    {
      find: ['?e', '?d'],
      where: [
        ['?e', 'p/age', '?a'],
        [['*', '?a', 2], '?d'],
      ],
    },
    [],
  ],
  [{ find: ['?e'], in: ['$', '?t'], where: [['?e', 'p/tags', '?t']] }, ['x']],
  [
    {
      find: ['?e', '?f'],
      where: [
        ['?e', 'p/friends', '?f'],
        ['?f', 'p/friends', '?e'],
      ],
    },
    [],
  ],
  [
    {
      find: ['?e', '?a', '?v'],
      where: [
        ['?e', '?a', '?v'],
        ['?e', 'p/code', 'A'],
      ],
    },
    [],
  ],
  ['[:find ?e :where [?e :p/name _] (not [?e :p/age _])]', []],
  [{ find: [['count', '?e']], where: [['?e', 'p/name', '_']] }, []],
];

const key = (row: unknown) => JSON.stringify(row);
const diff = (from: unknown[][], to: unknown[][]) => {
  const keys = new Set(to.map(key));
  return from
    .filter((row) => !keys.has(key(row)))
    .map(key)
    .sort();
};

test('subscription deltas equal the difference of re-running the query before and after each tx', async () => {
  await fc.assert(
    fc.asyncProperty(historyArb, async (history) => {
      const conn = await open({ storage: storage.memory(), clock: fakeClock() });
      await conn.transact(schemaTx);
      const live = queries.map(([query, inputs]) => {
        const changes: Change[] = [];
        const result = new Map<string, unknown[]>();
        conn.subscribe(
          query as never,
          (change) => {
            changes.push(change);
            for (const row of change.removed)
              assert.ok(result.delete(key(row)), 'a removed row was in the result');
            for (const row of change.added) {
              assert.ok(!result.has(key(row)), 'an added row was not in the result');
              result.set(key(row), row);
            }
          },
          ...inputs,
        );
        return { query, inputs, changes, result };
      });
      for (const txData of history) {
        const before = live.map(({ query, inputs }) => conn.q(query as never, ...inputs) as unknown[][]);
        const counts = live.map((s) => s.changes.length);
        await conn.transact(txData).catch(() => undefined);
        live.forEach((s, i) => {
          const after = conn.q(s.query as never, ...s.inputs) as unknown[][];
          const delivered = s.changes.slice(counts[i]);
          const added = delivered
            .flatMap((c) => c.added)
            .map(key)
            .sort();
          const removed = delivered
            .flatMap((c) => c.removed)
            .map(key)
            .sort();
          assert.deepEqual(added, diff(after, before[i]!), `added rows of ${JSON.stringify(s.query)}`);
          assert.deepEqual(removed, diff(before[i]!, after), `removed rows of ${JSON.stringify(s.query)}`);
          assert.deepEqual([...s.result.keys()].sort(), after.map(key).sort());
        });
      }
      await conn.close();
    }),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 60) },
  );
});

test('unsubscribe stops deliveries', async () => {
  const conn = await open({ storage: storage.memory(), clock: fakeClock() });
  await conn.transact(schemaTx);
  const changes: Change[] = [];
  const stop = conn.subscribe({ find: ['?n'], where: [['?e', 'p/name', '?n']] }, (c) => changes.push(c));
  await conn.transact([{ 'p/name': 'ann' }]);
  stop();
  await conn.transact([{ 'p/name': 'bob' }]);
  assert.deepEqual(
    changes.map((c) => [c.initial, c.added, c.removed]),
    [
      [true, [], []],
      [false, [['ann']], []],
    ],
  );
  await conn.close();
});

test('a fact asserted and retracted in one tx changes no subscription', async () => {
  const conn = await open({ storage: storage.memory(), clock: fakeClock() });
  await conn.transact(schemaTx);
  const changes: Change[] = [];
  conn.subscribe({ find: ['?e', '?n'], where: [['?e', 'p/name', '?n']] }, (c) => changes.push(c));
  await conn.transact([
    ['db/add', 't2', 'p/name', 'ann'],
    ['db/retractEntity', 't2'],
  ]);
  const { tempids } = await conn.transact([['db/add', 't0', 'p/name', 'ann']]);
  assert.deepEqual(
    changes.map((c) => [c.added, c.removed]),
    [
      [[], []],
      [[[tempids.t0, 'ann']], []],
    ],
  );
  await conn.close();
});
