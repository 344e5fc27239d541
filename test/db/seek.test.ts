/**
 * `View.seek` (an attribute's datoms after an entity, in entity order, stopping when told) against
 * the naive model on random histories, in every kind of view, before and after a reopen from
 * checkpoint and log; and its O(log n) path taken on attributes asserted only on new entities.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Datom } from '../../src/db/types.js';
import type { View } from '../../src/db/view.js';
import { type Connection, open, storage } from '../../src/index.js';
import { fakeClock, historyArb, schemaTx } from './arbitraries.js';
import { Model } from './model.js';

const byContent = (list: Datom[]) =>
  [...list].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));

/** The first `stopAt` datoms `seek` visits (all with Infinity). */
function seek(view: View, ident: string, afterE: number, stopAt: number): Datom[] {
  const out: Datom[] = [];
  view.seek(view.attributeNamed(ident), afterE, (e, a, v, tx, added) => {
    out.push({ e, a: a.ident, v, tx, added });
    return out.length < stopAt;
  });
  return out;
}

function checkSeeks(
  model: Model,
  view: View,
  spec: { asOf?: number; since?: number; history?: boolean },
  picks: number[],
) {
  const entities = [...new Set(model.datoms.map((d) => d.e))].sort((x, y) => x - y);
  const afters = [0, ...picks.map((pick) => (entities[pick % entities.length] ?? 0) + (pick % 3) - 1), 1e15];
  const visible = model.visible(spec);
  for (const ident of model.attributeIdents().filter((a) => view.attribute(a) !== undefined)) {
    for (const [k, afterE] of afters.entries()) {
      const label = `${ident} after ${afterE} in ${JSON.stringify(spec)}`;
      const all = seek(view, ident, afterE, Number.POSITIVE_INFINITY);
      const expected = visible.filter((d) => d.a === ident && d.e > afterE);
      assert.deepEqual(byContent(all), byContent(expected), `${label}: the datoms`);
      for (let i = 1; i < all.length; i++) {
        const [before, datom] = [all[i - 1]!, all[i]!];
        assert.ok(
          before.e < datom.e || (before.e === datom.e && before.tx <= datom.tx),
          `${label}: the order`,
        );
      }
      const stopAt = 1 + ((picks[k] ?? 0) % 4);
      assert.deepEqual(seek(view, ident, afterE, stopAt), all.slice(0, stopAt), `${label}: stopping`);
    }
  }
}

async function checkAll(model: Model, conn: Connection, picks: number[]) {
  const txs = model.txs;
  const asOf = txs[(picks[0] ?? 0) % txs.length]!;
  const since = txs[(picks[1] ?? 0) % txs.length]!;
  checkSeeks(model, conn.view, {}, picks);
  checkSeeks(model, conn.asOf(asOf), { asOf }, picks);
  checkSeeks(model, conn.since(since), { since }, picks);
  checkSeeks(model, conn.history(), { history: true }, picks);
  checkSeeks(model, conn.asOf(asOf).since(since), { asOf, since }, picks);
}

/** Runs `history` against a persistent connection and the model, checking seeks live and reopened. */
async function property(
  history: unknown[][],
  picks: number[],
  whileOpen: (conn: Connection) => void = () => {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'gswarm-seek-'));
  try {
    const options = { storage: storage.persistent(dir), clock: fakeClock(), checkpointDatoms: 40 };
    let conn = await open(options);
    const model = new Model();
    for (const txData of [schemaTx, ...history]) {
      const report = await conn.transact(txData).catch(() => undefined);
      if (report !== undefined) model.transact(txData, report.tx);
    }
    await checkAll(model, conn, picks);
    whileOpen(conn);
    await conn.close();
    conn = await open(options);
    await checkAll(model, conn, picks);
    whileOpen(conn);
    await conn.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const picksArb = fc.array(fc.nat(), { minLength: 2, maxLength: 4 });

test('seek equals the naive model on random histories (out of entity order: the sorting path)', async () => {
  await fc.assert(
    fc.asyncProperty(historyArb, picksArb, (history, picks) => property(history, picks)),
    {
      numRuns: Number(process.env.GSWARM_RUNS ?? 60),
    },
  );
});

/** Attributes a new entity may have without naming or upserting an existing one. */
const freshValues: Record<string, fc.Arbitrary<unknown>> = {
  'p/age': fc.integer({ min: 0, max: 5 }),
  'p/tags': fc.subarray(['x', 'y', 'z'], { minLength: 1 }),
  'p/score': fc.constantFrom(0, 0.5, 1, 2.25),
  'p/flag': fc.boolean(),
  'p/sealed': fc.constantFrom('s1', 's2'),
};
const freshEntityArb = fc
  .subarray(Object.keys(freshValues), { minLength: 1 })
  .chain((attrs) =>
    fc
      .tuple(...attrs.map((a) => freshValues[a]!))
      .map((values) => Object.fromEntries(attrs.map((a, i) => [a, values[i]]))),
  );
const freshHistoryArb = fc.array(fc.array(freshEntityArb, { minLength: 1, maxLength: 5 }), {
  minLength: 1,
  maxLength: 12,
});

test('seek on attributes asserted only on new entities takes the entity-ordered path, and equals the model', async () => {
  await fc.assert(
    fc.asyncProperty(freshHistoryArb, picksArb, (history, picks) =>
      property(history, picks, (conn) => {
        for (const ident of Object.keys(freshValues)) {
          const a = conn.view.attributeNamed(ident);
          assert.ok(
            conn.view.inEntityOrder(a) && conn.history().inEntityOrder(a),
            `${ident} is in entity order`,
          );
        }
      }),
    ),
    { numRuns: Number(process.env.GSWARM_RUNS ?? 60) },
  );
});
