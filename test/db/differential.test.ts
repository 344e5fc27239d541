/**
 * The fact database against a naive model (test/db/model.ts) on random histories: transactions
 * with tempids, upserts, lookup refs, retractions, retractEntity, schema changes and invalid
 * items; then every read (datoms in each index, count, pull) in every kind of view (current,
 * asOf, since, history), before and after a reopen from checkpoint and log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Datom } from '../../src/db/types.js';
import { GswarmError, open, storage } from '../../src/index.js';
import { fakeClock, historyArb, itemArb, names, schemaTx } from './arbitraries.js';
import { compareViews, sortDatoms } from './compare-views.js';
import { liveAll, Model, RefusedError } from './model.js';

test('random histories: every read of every view equals the naive model, before and after reopen', async () => {
  await fc.assert(
    fc.asyncProperty(historyArb, fc.nat(), async (history, pick) => {
      const dir = mkdtempSync(join(tmpdir(), 'gswarm-diff-'));
      try {
        const options = { storage: storage.persistent(dir), clock: fakeClock(), checkpointDatoms: 40 };
        let conn = await open(options);
        const model = new Model();
        const schemaReport = await conn.transact(schemaTx);
        model.transact(schemaTx, schemaReport.tx);
        for (const txData of history) {
          const before = conn.basisTx;
          let modelError: unknown;
          let modelAdded: Datom[] = [];
          let tx = 0;
          try {
            const report = await conn.transact(txData);
            tx = report.tx;
            try {
              modelAdded = model.transact(txData, tx);
            } catch (error) {
              modelError = error;
            }
            assert.equal(
              modelError,
              undefined,
              `model refused what the db accepted: ${JSON.stringify(txData)} (${modelError})`,
            );
            assert.deepEqual(
              sortDatoms(report.datoms),
              sortDatoms(modelAdded),
              `datoms of ${JSON.stringify(txData)}`,
            );
          } catch (error) {
            if (!(error instanceof GswarmError)) throw error;
            assert.throws(
              () => model.transact(txData, before + 1),
              RefusedError,
              `db refused (${error.message}) what the model accepts: ${JSON.stringify(txData)}`,
            );
            assert.equal(conn.basisTx, before, 'a refused tx changes nothing');
          }
        }
        const txs = model.txs;
        const asOf = txs[pick % txs.length]!;
        const since = txs[(pick >> 3) % txs.length]!;
        const check = (c: typeof conn, when: string) => {
          compareViews(model, c.view, {}, `${when} current`);
          compareViews(model, c.asOf(asOf), { asOf }, `${when} asOf`);
          if (asOf < c.basisTx)
            compareViews(model, c.asOf(asOf + 1), { asOf: asOf + 1 }, `${when} asOf between txs`);
          assert.throws(() => c.asOf(c.basisTx + 1), /later than the basis/);
          compareViews(model, c.since(since), { since }, `${when} since`);
          compareViews(model, c.history(), { history: true }, `${when} history`);
          compareViews(model, c.asOf(asOf).history(), { asOf, history: true }, `${when} asOf history`);
          assert.equal(
            c.view.count('p/name'),
            new Set(
              liveAll(model.datoms)
                .filter((d) => d.a === 'p/name')
                .map((d) => d.e),
            ).size,
          );
        };
        check(conn, 'live');
        await conn.close();
        conn = await open(options);
        check(conn, 'reopened');
        await conn.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 60) },
  );
});

const bulkColumns = ['db/id', 'p/name', 'p/age', 'p/tags', 'p/best', 'p/code', 'p/score'];
const bulkRowArb = fc
  .tuple(
    fc.option(fc.constantFrom('b0', 'b1', 't0'), { nil: null }),
    fc.option(fc.oneof(fc.constantFrom(...names), fc.string({ minLength: 1, maxLength: 3 })), { nil: null }),
    fc.option(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant('x')), { nil: null }),
    fc.option(fc.subarray(['x', 'y', 'x2']), { nil: null }),
    fc.option(fc.oneof(fc.integer({ min: 1030, max: 1040 }), fc.constantFrom('t0', 'b0')), { nil: null }),
    fc.option(fc.constantFrom('A', 'B', 'Q'), { nil: null }),
    fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: null }),
  )
  .filter((row) => row.slice(1).some((v) => v !== null));

test('a db/bulk item yields exactly the datoms of its rows as entity maps after the other items', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(itemArb, { maxLength: 3 }), { maxLength: 6 }),
      fc.array(itemArb, { maxLength: 2 }),
      fc.array(bulkRowArb, { minLength: 1, maxLength: 6 }),
      async (setup, others, rows) => {
        const bulkDb = await open({ storage: storage.memory(), clock: fakeClock() });
        const mapsDb = await open({ storage: storage.memory(), clock: fakeClock() });
        for (const txData of [schemaTx, ...setup]) {
          const outcomes = await Promise.allSettled([bulkDb.transact(txData), mapsDb.transact(txData)]);
          assert.equal(outcomes[0].status, outcomes[1].status);
        }
        const maps = rows.map((row) => {
          const map: Record<string, unknown> = {};
          row.forEach((v, c) => {
            if (v !== null) map[bulkColumns[c]!] = v;
          });
          return map;
        });
        const [viaBulk, viaMaps] = await Promise.allSettled([
          bulkDb.transact([...others, ['db/bulk', bulkColumns, rows]]),
          mapsDb.transact([...others, ...maps]),
        ]);
        assert.equal(viaBulk.status, viaMaps.status, `bulk ${viaBulk.status}, maps ${viaMaps.status}`);
        if (viaBulk.status === 'fulfilled' && viaMaps.status === 'fulfilled') {
          assert.deepEqual(sortDatoms(viaBulk.value.datoms), sortDatoms(viaMaps.value.datoms));
        }
        assert.deepEqual(bulkDb.datoms('eavt'), mapsDb.datoms('eavt'));
      },
    ),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 200) },
  );
});

/** A column of bulkRowArb by name, for maps of one layout. */
const columnArbs = Object.fromEntries(
  bulkColumns.map((column, c) => [
    column,
    bulkRowArb.map((row) => row[c]).filter((v): v is NonNullable<typeof v> => v !== null),
  ]),
);

test('entity maps of one layout (read as a bulk item) yield exactly what the same maps yield one by one', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(itemArb, { maxLength: 3 }), { maxLength: 6 }),
      fc.shuffledSubarray(bulkColumns.slice(1), { minLength: 1 }),
      fc.integer({ min: 2, max: 6 }),
      fc.infiniteStream(fc.nat()),
      async (setup, layout, count, picks) => {
        const asBulk = await open({ storage: storage.memory(), clock: fakeClock() });
        const oneByOne = await open({ storage: storage.memory(), clock: fakeClock() });
        for (const txData of [schemaTx, ...setup]) {
          const outcomes = await Promise.allSettled([asBulk.transact(txData), oneByOne.transact(txData)]);
          assert.equal(outcomes[0].status, outcomes[1].status);
        }
        const samples = Object.fromEntries(
          layout.map((column) => [
            column,
            fc.sample(columnArbs[column]!, { numRuns: count, seed: picks.next().value }),
          ]),
        );
        const maps = Array.from({ length: count }, (_, i) =>
          Object.fromEntries(layout.map((column) => [column, samples[column]![i]])),
        );
        // The first map naming its own tempid breaks the layout: that tx takes the general path.
        const [viaBulk, viaMaps] = await Promise.allSettled([
          asBulk.transact(maps),
          oneByOne.transact([{ 'db/id': 'item#0', ...maps[0] }, ...maps.slice(1)]),
        ]);
        assert.equal(viaBulk.status, viaMaps.status, `bulk ${viaBulk.status}, maps ${viaMaps.status}`);
        if (viaBulk.status === 'fulfilled' && viaMaps.status === 'fulfilled') {
          assert.deepEqual(sortDatoms(viaBulk.value.datoms), sortDatoms(viaMaps.value.datoms));
          assert.deepEqual(viaBulk.value.tempids, viaMaps.value.tempids);
        }
        if (viaBulk.status === 'rejected' && viaMaps.status === 'rejected') {
          const [x, y] = [viaBulk.reason as GswarmError, viaMaps.reason as GswarmError];
          assert.equal(x.code, y.code, `${x.message} / ${y.message}`);
          assert.equal(x.data?.item, y.data?.item, `${x.message} / ${y.message}`);
        }
        assert.deepEqual(asBulk.datoms('eavt'), oneByOne.datoms('eavt'));
      },
    ),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 200) },
  );
});
