/**
 * Alert pages (`Swarm.alerts` with afterSeq, sinceTx and limit) against their naive twin, a scan
 * of every `alert/tx` datom then a filter, sort and slice, on random reflexes and tick batches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { View } from '../../src/db/view.js';
import { type Alert, Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';

type Step =
  | { kind: 'reflex'; id: string; market: string; above?: number; below?: number }
  | { kind: 'delete'; id: string }
  | { kind: 'ticks'; ticks: { market: string; price: number }[] };

const marketArb = fc.constantFrom('A', 'B');
const reflexIdArb = fc.constantFrom('r1', 'r2', 'r3');
const priceArb = fc.integer({ min: 0, max: 20 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('reflex' as const), id: reflexIdArb, market: marketArb, above: priceArb }),
  fc.record({
    kind: fc.constant('reflex' as const),
    id: reflexIdArb,
    market: marketArb,
    below: priceArb.filter((p) => p > 0),
  }),
  fc.record({ kind: fc.constant('delete' as const), id: reflexIdArb }),
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('ticks' as const),
      ticks: fc.array(fc.record({ market: marketArb, price: priceArb }), { minLength: 1, maxLength: 12 }),
    }),
  },
);

/** The seqs of the alerts a page holds, read the naive way: every alert id, filtered, sorted, sliced. */
function naivePage(swarm: Swarm, options: { sinceTx?: number; afterSeq?: number; limit?: number }): number[] {
  return swarm.conn.view
    .datoms('aevt', 'alert/tx')
    .filter((d) => d.e > (options.afterSeq ?? 0) && (d.v as number) > (options.sinceTx ?? 0))
    .map((d) => d.e)
    .sort((x, y) => x - y)
    .slice(0, options.limit);
}

/** Around each value: itself, one less, one more. */
const around = (values: number[]) => values.flatMap((x) => [x, x - 1, x + 1]);

test('alert pages equal the naive full scan for any afterSeq, sinceTx and limit', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(stepArb, { minLength: 1, maxLength: 30 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 20 }),
      async (steps, picks) => {
        const swarm = await Swarm.open({ storage: storage.memory() });
        try {
          const txs = [(await swarm.ingest({ markets: [{ id: 'A' }, { id: 'B' }] })).tx];
          let tickCount = 0;
          for (const step of steps) {
            if (step.kind === 'reflex') {
              const { kind: _, ...reflex } = step;
              txs.push((await swarm.putReflex(reflex)).tx);
            } else if (step.kind === 'delete') {
              const deleted = await swarm.deleteReflex(step.id);
              if (deleted !== undefined) txs.push(deleted.tx);
            } else {
              const ticks = step.ticks.map(({ market, price }) => {
                tickCount++;
                return { id: `t${tickCount}`, market, price, volume: 1, ts: tickCount };
              });
              txs.push((await swarm.ingest({ ticks })).tx);
            }
          }
          const all = swarm.alerts();
          assert.deepEqual(
            all.map((alert) => alert.seq),
            naivePage(swarm, {}),
          );
          const bySeq = new Map(all.map((alert) => [alert.seq, alert]));
          const tickIds = swarm.conn.view.datoms('aevt', 'tick/id').map((d) => d.e);
          const seqs = [0, ...around(all.map((alert) => alert.seq)), ...tickIds, Number.MAX_SAFE_INTEGER];
          const sinceTxs = [0, ...around(txs), Number.MAX_SAFE_INTEGER];
          for (const [seqPick, txPick, limitPick] of picks) {
            const options = {
              afterSeq: seqs[seqPick % seqs.length],
              sinceTx: sinceTxs[txPick % sinceTxs.length],
              limit: limitPick % (all.length + 3) || undefined,
            };
            const expected = naivePage(swarm, options);
            assert.deepEqual(
              swarm.alerts(options),
              expected.map((seq) => bySeq.get(seq)),
              JSON.stringify(options),
            );
            // Walking the pages from afterSeq gives every alert after it once, in order.
            const walked: Alert[] = [];
            for (let afterSeq = options.afterSeq, page: Alert[] = []; ; afterSeq = page.at(-1)!.seq) {
              page = swarm.alerts({ ...options, afterSeq, limit: options.limit ?? 2 });
              walked.push(...page);
              if (page.length < (options.limit ?? 2)) break;
            }
            assert.deepEqual(
              walked.map((alert) => alert.seq),
              naivePage(swarm, { ...options, limit: undefined }),
            );
          }
          const alertTx = swarm.conn.view.attributeNamed('alert/tx');
          assert.ok(swarm.conn.view.inEntityOrder(alertTx), 'alert pages take the O(log n) path');
        } finally {
          await swarm.close();
        }
      },
    ),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 60) },
  );
});

/**
 * Runs `read` with the swarm's views counting the datoms they hand to callbacks (`match`, `seek`
 * and the like): the work of a read, whatever the reads it makes.
 */
function datomsVisited<T>(swarm: Swarm, read: () => T): { result: T; visited: number } {
  let visited = 0;
  const counting = (view: View): View =>
    new Proxy(view, {
      get(target, key) {
        const member = Reflect.get(target, key, target);
        if (typeof member !== 'function') return member;
        return (...args: unknown[]) => {
          const counted = args.map((arg) => {
            if (typeof arg !== 'function') return arg;
            return (...datom: unknown[]) => {
              visited++;
              return arg(...datom);
            };
          });
          const out = member.apply(target, counted);
          return out !== null && typeof out === 'object' && 'seek' in out ? counting(out as View) : out;
        };
      },
    });
  const head = swarm.conn.view;
  Object.defineProperty(swarm.conn, 'view', { get: () => counting(head), configurable: true });
  try {
    return { result: read(), visited };
  } finally {
    delete (swarm.conn as { view?: View }).view;
  }
}

test('an alert page reads its own alerts, not every alert', async () => {
  const swarm = await Swarm.open({ storage: storage.memory() });
  try {
    await swarm.ingest({ markets: [{ id: 'A' }] });
    await swarm.putReflex({ id: 'up', market: 'A', above: 10 });
    const txs: number[] = [];
    for (let batch = 0, n = 0; batch < 4; batch++) {
      const ticks = [];
      for (let i = 0; i < 1_000; i++, n++)
        ticks.push({ id: `t${n}`, market: 'A', price: n % 2 === 0 ? 20 : 0, volume: 1, ts: n });
      txs.push((await swarm.ingest({ ticks })).tx);
    }
    const all = swarm.alerts();
    assert.equal(all.length, 2_000);
    const pages = [
      { afterSeq: all[1_200]!.seq, limit: 10 },
      { sinceTx: txs[2], limit: 10 },
      { sinceTx: txs[1], afterSeq: all[100]!.seq, limit: 25 },
    ];
    for (const options of pages) {
      const { result, visited } = datomsVisited(swarm, () => swarm.alerts(options));
      assert.deepEqual(
        result.map((alert) => alert.seq),
        naivePage(swarm, options),
      );
      assert.equal(result.length, options.limit);
      assert.ok(visited <= options.limit, `${visited} datoms read for a page of ${options.limit}`);
    }
  } finally {
    await swarm.close();
  }
});
