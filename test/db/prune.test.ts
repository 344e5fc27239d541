/**
 * Retention against a naive model: after a prune, every read of every view from the horizon on
 * equals the model holding only the datoms the rule keeps (restated here datom by datom), before
 * and after a reopen from the checkpoint with the log before the prune dropped; reads before the
 * horizon are refused with GSW_ERR_GONE.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { Db } from '../../src/db/db.js';
import { pruneStore, startPrune } from '../../src/db/prune.js';
import type { Datom } from '../../src/db/types.js';
import { View } from '../../src/db/view.js';
import { GswarmError, open, storage } from '../../src/index.js';
import { LmdbLog } from '../../src/log/lmdb-log.js';
import { fakeClock, historyArb, schemaTx } from './arbitraries.js';
import { compareViews } from './compare-views.js';
import { Model } from './model.js';

const attributes = ['p/name', 'p/age', 'p/tags', 'p/best', 'p/friends', 'p/score', 'p/code', 'p/sealed'];

/** The datoms a prune to `horizon` of `prunable` keeps, by the rule in src/db/prune.ts. */
function keptDatoms(
  datoms: readonly Datom[],
  horizon: number,
  prunable: ReadonlySet<string>,
  refs: Set<string>,
) {
  const referred = new Set(
    datoms.filter((d) => refs.has(d.a) && !prunable.has(d.a)).map((d) => d.v as number),
  );
  const droppable = (d: Datom) => prunable.has(d.a) && !referred.has(d.e);
  return datoms.filter((d, i) => {
    if (!droppable(d)) return true;
    if (d.tx < horizon) return false;
    if (d.added) return true;
    // A retraction from the horizon on ends the latest assertion before it: dropped with it.
    const assertion = datoms
      .slice(0, i)
      .findLast((x) => x.added && x.e === d.e && x.a === d.a && JSON.stringify(x.v) === JSON.stringify(d.v));
    return assertion !== undefined && assertion.tx >= horizon;
  });
}

test('a pruned store reads as the store of the datoms it keeps, from the horizon on, also reopened', async () => {
  await fc.assert(
    fc.asyncProperty(
      historyArb,
      fc.subarray(attributes, { minLength: 1 }),
      fc.nat(),
      async (history, prunableList, pick) => {
        const dir = mkdtempSync(join(tmpdir(), 'gswarm-prune-'));
        try {
          const options = { storage: storage.persistent(dir), clock: fakeClock(), checkpointDatoms: 30 };
          let conn = await open(options);
          const model = new Model();
          model.transact(schemaTx, (await conn.transact(schemaTx)).tx);
          for (const txData of history) {
            try {
              const report = await conn.transact(txData);
              if (report.datoms.length > 0) model.transact(txData, report.tx);
            } catch (error) {
              if (!(error instanceof GswarmError)) throw error;
            }
          }
          const txs = model.txs;
          const horizon = txs[pick % txs.length]!;
          const prunable = new Set(prunableList);
          assert.equal(await conn.prune(horizon, prunableList), horizon);
          const prunedAt = conn.position;
          const refs = new Set(['p/best', 'p/friends']);
          const expected = Object.assign(Object.create(Model.prototype) as Model, model, {
            datoms: keptDatoms(model.datoms, horizon, prunable, refs),
          });
          const check = (c: typeof conn, when: string) => {
            assert.equal(c.horizonTx, horizon);
            compareViews(expected, c.view, {}, `${when} current`);
            for (const tx of txs.filter((t) => t >= horizon)) {
              compareViews(expected, c.asOf(tx), { asOf: tx }, `${when} asOf ${tx}`);
            }
            compareViews(expected, c.since(horizon - 1), { since: horizon - 1 }, `${when} since`);
            compareViews(expected, c.history(), { history: true }, `${when} history`);
            assert.equal(c.view.firstTx, horizon);
            if (horizon > txs[0]!) {
              assert.throws(
                () => c.asOf(horizon - 1),
                (e: GswarmError) => e.code === 'GSW_ERR_GONE',
              );
              assert.throws(
                () => c.since(horizon - 2),
                (e: GswarmError) => e.code === 'GSW_ERR_GONE',
              );
            }
          };
          check(conn, 'live');
          // A prune to the same horizon or an earlier one changes nothing.
          assert.equal(await conn.prune(txs[0]!, prunableList), horizon);
          await conn.close();
          const log = new LmdbLog(join(dir, 'log.mdb'));
          const first = await log.first();
          await log.close();
          assert.equal(first, prunedAt, 'the log starts at the prune');
          conn = await open(options);
          check(conn, 'reopened');
          await conn.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 60) },
  );
});

const tickSchema = [
  { 'db/ident': 'm/id', 'db/valueType': 'string', 'db/unique': 'identity' },
  { 'db/ident': 't/id', 'db/valueType': 'string', 'db/unique': 'identity', 'db/immutable': true },
  { 'db/ident': 't/market', 'db/valueType': 'ref', 'db/immutable': true },
  { 'db/ident': 't/price', 'db/valueType': 'number', 'db/immutable': true },
  { 'db/ident': 'a/tick', 'db/valueType': 'ref' },
];
const tickId = fc.integer({ min: 0, max: 11 }).map((n) => `t${n}`);
const market = fc.constantFrom('m0', 'm1');
const tickOpArb: fc.Arbitrary<unknown[]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(tickId, market, fc.constantFrom(1, 2.5)), { minLength: 1, maxLength: 3 })
      .map((ticks) =>
        ticks.map(([id, m, price]) => ({ 't/id': id, 't/market': ['m/id', m], 't/price': price })),
      ),
  },
  { weight: 1, arbitrary: market.map((m) => [{ 'm/id': m }]) },
  { weight: 2, arbitrary: tickId.map((id) => [{ 'a/tick': ['t/id', id] }]) },
  { weight: 1, arbitrary: tickId.map((id) => [['db/retractEntity', ['t/id', id]]]) },
  { weight: 1, arbitrary: market.map((m) => [['db/retractEntity', ['m/id', m]]]) },
);

test('pruning ticks keeps the ones alerts name and drops later retractions of pruned ones, with txs going on while the pruned store is built', async () => {
  let overlapped = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(tickOpArb, { minLength: 1, maxLength: 25 }),
      fc.array(tickOpArb, { maxLength: 8 }),
      fc.nat(),
      async (history, during, pick) => {
        // One step of the build per turn of the event loop, so the txs below land between steps.
        const conn = await open({ storage: storage.memory(), clock: fakeClock(), pruneSliceMs: 0 });
        const model = new Model();
        const transact = async (txData: unknown[]) => {
          try {
            const report = await conn.transact(txData);
            if (report.datoms.length > 0) model.transact(txData, report.tx);
          } catch (error) {
            if (!(error instanceof GswarmError)) throw error;
          }
        };
        await transact(tickSchema);
        await transact([{ 'm/id': 'm0' }, { 'm/id': 'm1' }]);
        for (const txData of history) await transact(txData);
        const prunable = ['t/id', 't/market', 't/price'];
        const horizon = model.txs[pick % model.txs.length]!;
        const building = conn.view.datomStore;
        const pruned = conn.prune(horizon, prunable);
        for (const txData of during) {
          await transact(txData);
          if (conn.view.datomStore === building) overlapped++;
        }
        await pruned;
        const expected = Object.assign(Object.create(Model.prototype) as Model, model, {
          datoms: keptDatoms(model.datoms, horizon, new Set(prunable), new Set(['t/market', 'a/tick'])),
        });
        for (const tx of model.txs.filter((t) => t >= horizon)) {
          compareViews(expected, conn.asOf(tx), { asOf: tx }, `asOf ${tx}`);
        }
        compareViews(expected, conn.history(), { history: true }, 'history');
        await conn.close();
      },
    ),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 150) },
  );
  assert.ok(overlapped > 0, 'some txs were committed while a pruned store was being built');
});

test('a prune built in steps while txs arrive equals one built at once after them', async () => {
  await fc.assert(
    fc.property(
      fc.array(tickOpArb, { minLength: 1, maxLength: 20 }),
      fc.array(fc.tuple(fc.nat({ max: 40 }), tickOpArb), { maxLength: 12 }),
      fc.nat(),
      fc.integer({ min: 0, max: 40 }),
      (history, during, pick, finishDatomsMax) => {
        const db = new Db();
        let tx = 1_000_000;
        const transact = (txData: unknown) => {
          try {
            db.commit(db.plan(txData), ++tx, tx);
          } catch (error) {
            if (!(error instanceof GswarmError)) throw error;
          }
        };
        transact(tickSchema);
        transact([{ 'm/id': 'm0' }, { 'm/id': 'm1' }]);
        for (const txData of history) transact(txData);
        const txs = Array.from({ length: db.store.txCount }, (_, t) => db.store.txIds.get(t));
        const horizon = txs[pick % txs.length]!;
        const prunable = new Set(
          ['t/id', 't/market', 't/price'].map((a) => db.store.schema.attribute(a)!.id),
        );
        const build = startPrune(db.store, horizon, prunable, { finishDatomsMax, tailStepDatoms: 1 });
        db.store.horizonTx = horizon;
        // Txs land between the build's steps; the catch-up takes those over finishDatomsMax in steps.
        for (const [steps, txData] of during) {
          for (let i = 0; i < steps; i++) build.steps.next();
          transact(txData);
        }
        for (const _ of build.steps);
        const sliced = build.finish();
        const whole = pruneStore(db.store, horizon, prunable);
        assert.deepEqual(
          new View(sliced, sliced.txCount - 1).history().datoms('eavt'),
          new View(whole, whole.txCount - 1).history().datoms('eavt'),
        );
        for (let t = 0; t < whole.txCount; t++) {
          const [a, b] = [new View(sliced, t), new View(whole, t)];
          assert.equal(a.basisTx, b.basisTx);
          assert.deepEqual(a.datoms('aevt'), b.datoms('aevt'));
          for (const attr of ['t/id', 't/market', 'a/tick', 'm/id'])
            assert.equal(a.count(attr), b.count(attr));
        }
      },
    ),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 200) },
  );
});
