/**
 * Datalog: a dozen queries (point lookups, joins of ticks and markets, aggregates per market,
 * recursive rules over a market/parent chain, negation) on the same ticks in Gswarm and in
 * Datascript. Results must be equal as sets before anything is timed; the figure is the median
 * time per query on each side.
 */

import { open, storage, type View } from '../src/index.js';
import { marketSchema } from '../src/market/schema.js';
import { type DsDb, datascript, type JsonQuery, rulesToEdn, toEdn } from './lib/datascript.js';
import type { Row, Suite } from './lib/suite.js';
import { marketId, marketRows, TickStream, tsBase } from './lib/ticks.js';
import { fmt, median, medianMs, ratio } from './lib/timing.js';

const marketCount = 500;
/** Markets form chains of this length through market/parent (market i's parent is i - 1). */
const chainLength = 50;
const targetRatio = 20;

const rules = [
  [
    ['descendant', '?a', '?b'],
    ['?b', 'market/parent', '?a'],
  ],
  [
    ['descendant', '?a', '?b'],
    ['?c', 'market/parent', '?a'],
    ['descendant', '?c', '?b'],
  ],
];

interface Case {
  name: string;
  query: JsonQuery;
  inputs: unknown[];
}

function cases(ticks: number): Case[] {
  const window = Math.max(200, Math.round(ticks / 100));
  return [
    {
      name: 'point: a tick by tick/id',
      query: {
        find: ['?p', '?v', '?ts'],
        in: ['$', '?id'],
        where: [
          ['?t', 'tick/id', '?id'],
          ['?t', 'tick/price', '?p'],
          ['?t', 'tick/volume', '?v'],
          ['?t', 'tick/ts', '?ts'],
        ],
      },
      inputs: [`t${Math.floor(ticks / 3)}`],
    },
    {
      name: 'point: one market, ticks priced above 0.8',
      query: {
        find: ['?tid', '?p'],
        in: ['$', '?mid', '?min'],
        where: [
          ['?m', 'market/id', '?mid'],
          ['?t', 'tick/market', '?m'],
          ['?t', 'tick/price', '?p'],
          [['>', '?p', '?min']],
          ['?t', 'tick/id', '?tid'],
        ],
      },
      inputs: [marketId(7), 0.8],
    },
    {
      name: 'join: 5 markets (collection input), ticks in a ts window',
      query: {
        find: ['?mid', '?tid', '?p'],
        in: ['$', ['?mid', '...'], '?from', '?to'],
        where: [
          ['?m', 'market/id', '?mid'],
          ['?t', 'tick/market', '?m'],
          ['?t', 'tick/ts', '?ts'],
          [['>=', '?ts', '?from']],
          [['<', '?ts', '?to']],
          ['?t', 'tick/id', '?tid'],
          ['?t', 'tick/price', '?p'],
        ],
      },
      inputs: [
        [1, 2, 3, 5, 8].map(marketId),
        tsBase + Math.floor(ticks / 2),
        tsBase + Math.floor(ticks / 2) + window,
      ],
    },
    {
      name: 'join: ticks with volume > 995 of named markets',
      query: {
        find: ['?mid', '?tid'],
        where: [
          ['?t', 'tick/volume', '?v'],
          [['>', '?v', 995]],
          ['?t', 'tick/market', '?m'],
          ['?m', 'market/name', '_'],
          ['?m', 'market/id', '?mid'],
          ['?t', 'tick/id', '?tid'],
        ],
      },
      inputs: [],
    },
    {
      name: 'aggregate: tick count per market',
      query: {
        find: ['?mid', ['count', '?t']],
        where: [
          ['?t', 'tick/market', '?m'],
          ['?m', 'market/id', '?mid'],
        ],
      },
      inputs: [],
    },
    {
      name: 'aggregate: min/max/avg price per market',
      query: {
        find: ['?mid', ['min', '?p'], ['max', '?p'], ['avg', '?p']],
        with: ['?t'],
        where: [
          ['?t', 'tick/market', '?m'],
          ['?m', 'market/id', '?mid'],
          ['?t', 'tick/price', '?p'],
        ],
      },
      inputs: [],
    },
    {
      name: 'aggregate: volume per market of ticks priced > 0.9',
      query: {
        find: ['?mid', ['sum', '?v']],
        with: ['?t'],
        where: [
          ['?t', 'tick/price', '?p'],
          [['>', '?p', 0.9]],
          ['?t', 'tick/volume', '?v'],
          ['?t', 'tick/market', '?m'],
          ['?m', 'market/id', '?mid'],
        ],
      },
      inputs: [],
    },
    {
      name: 'recursive rule: ancestors of a market',
      query: {
        find: [['?aid', '...']],
        in: ['$', '%', '?mid'],
        where: [
          ['?m', 'market/id', '?mid'],
          ['descendant', '?a', '?m'],
          ['?a', 'market/id', '?aid'],
        ],
      },
      inputs: [rules, marketId(chainLength - 1)],
    },
    {
      name: 'recursive rule + join: tick count under a chain root',
      query: {
        find: ['?mid', ['count', '?t']],
        in: ['$', '%', '?root'],
        where: [
          ['?r', 'market/id', '?root'],
          ['descendant', '?r', '?m'],
          ['?m', 'market/id', '?mid'],
          ['?t', 'tick/market', '?m'],
        ],
      },
      inputs: [rules, marketId(chainLength)],
    },
    {
      name: 'negation: markets without a name',
      query: {
        find: [['?mid', '...']],
        where: [
          ['?m', 'market/id', '?mid'],
          ['not', ['?m', 'market/name', '_']],
        ],
      },
      inputs: [],
    },
    {
      name: 'negation (not-join): markets with no tick priced > 0.99',
      query: {
        find: [['?mid', '...']],
        where: [
          ['?m', 'market/id', '?mid'],
          ['not-join', ['?m'], ['?t', 'tick/market', '?m'], ['?t', 'tick/price', '?p'], [['>', '?p', 0.99]]],
        ],
      },
      inputs: [],
    },
    {
      name: 'negation: one market, volume > 500 and not priced > 0.5',
      query: {
        find: ['?tid'],
        in: ['$', '?mid'],
        where: [
          ['?m', 'market/id', '?mid'],
          ['?t', 'tick/market', '?m'],
          ['?t', 'tick/volume', '?v'],
          [['>', '?v', 500]],
          ['?t', 'tick/id', '?tid'],
          ['not', ['?t', 'tick/price', '?p'], [['>', '?p', 0.5]]],
        ],
      },
      inputs: [marketId(42)],
    },
  ];
}

/** Rows sorted by their JSON with numbers to 6 significant digits (a stable order for both sides). */
function rowsOf(result: unknown): unknown[] {
  const rows = Array.isArray(result) ? result : [result];
  const round = (x: unknown): unknown =>
    typeof x === 'number' ? Number(x.toPrecision(6)) : Array.isArray(x) ? x.map(round) : x;
  return rows
    .map((row) => ({ row, key: JSON.stringify(round(row)) }))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
    .map(({ row }) => row);
}

/**
 * Whether two results are equal as sets. Numbers may differ in the last bits (sums and averages
 * add in a different order): relative difference up to 1e-9.
 */
function sameResult(ours: unknown, theirs: unknown): boolean {
  const close = (x: unknown, y: unknown): boolean => {
    if (typeof x === 'number' && typeof y === 'number') {
      return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
    }
    if (Array.isArray(x) && Array.isArray(y))
      return x.length === y.length && x.every((v, i) => close(v, y[i]));
    return x === y;
  };
  if (Array.isArray(ours) !== Array.isArray(theirs)) return false;
  return close(rowsOf(ours), rowsOf(theirs));
}

async function loadGswarm(ticks: number) {
  const conn = await open({
    storage: storage.memory(),
    schema: { ...marketSchema, 'market/parent': { valueType: 'ref', doc: 'the parent market' } },
  });
  const markets = marketRows(marketCount);
  await conn.transact(
    markets.map((m, i) =>
      i % 2 === 0 ? { 'market/id': m.id, 'market/name': m.name } : { 'market/id': m.id },
    ),
  );
  await conn.transact(
    markets.flatMap((m, i) =>
      i % chainLength === 0 ? [] : [{ 'market/id': m.id, 'market/parent': ['market/id', marketId(i - 1)] }],
    ),
  );
  const stream = new TickStream(marketCount);
  let halfTx = 0;
  let loaded = 0;
  for (const batch of stream.batches(ticks, 1000)) {
    if (loaded >= ticks / 2 && halfTx === 0) halfTx = conn.view.basisTx;
    loaded += batch.length;
    await conn.transact(
      batch.map((t) => ({
        'tick/id': t.id,
        'tick/market': ['market/id', t.market],
        'tick/price': t.price,
        'tick/volume': t.volume,
        'tick/ts': t.ts,
      })),
    );
  }
  return { conn, halfTx: halfTx === 0 ? conn.view.basisTx : halfTx };
}

/** Datascript's database after all the ticks, and after the first half (the as-of view's peer). */
function loadDatascript(ticks: number): { db: DsDb; half: DsDb } {
  let db = datascript.empty_db({
    'market/id': { ':db/unique': ':db.unique/identity' },
    'tick/id': { ':db/unique': ':db.unique/identity' },
    'tick/market': { ':db/valueType': ':db.type/ref' },
    'market/parent': { ':db/valueType': ':db.type/ref' },
  });
  const marketE = (i: number) => i + 1;
  const tx: unknown[] = [];
  marketRows(marketCount).forEach((m, i) => {
    tx.push([':db/add', marketE(i), 'market/id', m.id]);
    if (i % 2 === 0) tx.push([':db/add', marketE(i), 'market/name', m.name]);
    if (i % chainLength !== 0) tx.push([':db/add', marketE(i), 'market/parent', marketE(i - 1)]);
  });
  db = datascript.db_with(db, tx);
  const stream = new TickStream(marketCount);
  let e = 1000;
  let half: DsDb | undefined;
  for (const batch of stream.batches(ticks, 1000)) {
    if (e - 1000 >= ticks / 2) half ??= db;
    const datoms: unknown[] = [];
    for (const t of batch) {
      e++;
      const m = marketE(Number(t.market.slice(1)));
      datoms.push(
        [':db/add', e, 'tick/id', t.id],
        [':db/add', e, 'tick/market', m],
        [':db/add', e, 'tick/price', t.price],
        [':db/add', e, 'tick/volume', t.volume],
        [':db/add', e, 'tick/ts', t.ts],
      );
    }
    db = datascript.db_with(db, datoms);
  }
  return { db, half: half ?? db };
}

/**
 * The time-travel join: per market, the latest tick time and the tick count at T1 (half the
 * ticks in) and now, in one query over two sources. Gswarm reads two views of one store;
 * Datascript, which has no as-of, gets its two database values.
 */
const asOfJoin: JsonQuery = {
  find: ['?mid', ['max', '?ts'], ['count-distinct', '?t']],
  in: ['$', '$then'],
  where: [
    ['$then', '?m', 'market/id', '?mid'],
    ['?t', 'tick/market', '?m'],
    ['not', ['$then', '?t', 'tick/id']],
    ['?t', 'tick/ts', '?ts'],
  ],
};

export const query: Suite = {
  name: 'query',
  title: 'Datalog queries on the same ticks',
  peer: 'Datascript 1.8 (EDN string queries on the same data)',
  async run(ctx) {
    const ticks = ctx.scaled(100_000, 1000);
    ctx.log(
      `query: loading ${ticks.toLocaleString('en-US')} ticks into Gswarm (memory storage) and Datascript`,
    );
    const { conn, halfTx } = await loadGswarm(ticks);
    const { db: dsDb, half: dsHalf } = loadDatascript(ticks);
    const view = conn.view;
    const q = (query: JsonQuery, ...inputs: unknown[]) => view.q(query, ...inputs);

    const rows: Row[] = [];
    const ratios: number[] = [];
    for (const c of cases(ticks)) {
      const edn = toEdn(c.query);
      const dsInputs = c.inputs.map((input) => (input === rules ? rulesToEdn(rules) : input));
      const ours = q(c.query, ...c.inputs);
      const theirs = datascript.q(edn, dsDb, ...dsInputs);
      if (!sameResult(ours, theirs)) {
        const show = (r: unknown) => JSON.stringify(rowsOf(r)).slice(0, 300);
        throw new Error(`${c.name}: results differ\n  gswarm: ${show(ours)}\n  datascript: ${show(theirs)}`);
      }
      const size = Array.isArray(ours) ? ours.length : 1;
      const g = medianMs(() => q(c.query, ...c.inputs), { minRuns: 5, budgetMs: 1000 });
      const d = medianMs(() => datascript.q(edn, dsDb, ...dsInputs), {
        minRuns: 3,
        maxRuns: 21,
        budgetMs: 2000,
      });
      ratios.push(d.ms / g.ms);
      ctx.log(`  ${c.name}: ${size} rows, gswarm ${fmt(g.ms)} ms, datascript ${fmt(d.ms)} ms`);
      rows.push({
        metric: `${c.name} (${size} rows)`,
        gswarm: `${fmt(g.ms)} ms`,
        peer: `${fmt(d.ms)} ms`,
        ratio: ratio(d.ms / g.ms),
        target: `≥ ${targetRatio}x`,
        met: d.ms / g.ms >= targetRatio,
      });
    }
    rows.push(timeAsOfJoin(ctx, conn.view, halfTx, dsDb, dsHalf));
    const medianRatio = median(ratios);
    const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
    rows.push({
      metric: `all ${ratios.length} queries: median / geometric mean ratio`,
      gswarm: '',
      ratio: `${ratio(medianRatio)} / ${ratio(geo)}`,
      target: `≥ ${targetRatio}x`,
      met: medianRatio >= targetRatio,
    });
    await conn.close();
    return rows;
  },
};

/** The two-source as-of join, checked equal on both sides, then timed (not in the median of the 12). */
function timeAsOfJoin(
  ctx: Parameters<Suite['run']>[0],
  view: View,
  halfTx: number,
  dsDb: DsDb,
  dsHalf: DsDb,
): Row {
  const name = 'as-of join: per market, ticks since T1 (latest ts, count), two sources';
  const then = view.asOf(halfTx);
  const edn = toEdn(asOfJoin);
  const ours = view.q(asOfJoin, then);
  const theirs = datascript.q(edn, dsDb, dsHalf);
  if (!sameResult(ours, theirs)) {
    const show = (r: unknown) => JSON.stringify(rowsOf(r)).slice(0, 300);
    throw new Error(`${name}: results differ\n  gswarm: ${show(ours)}\n  datascript: ${show(theirs)}`);
  }
  const g = medianMs(() => view.q(asOfJoin, then), { minRuns: 5, budgetMs: 1000 });
  const d = medianMs(() => datascript.q(edn, dsDb, dsHalf), { minRuns: 3, maxRuns: 21, budgetMs: 2000 });
  const size = Array.isArray(ours) ? ours.length : 1;
  ctx.log(`  ${name}: ${size} rows, gswarm ${fmt(g.ms)} ms, datascript ${fmt(d.ms)} ms`);
  return {
    metric: `${name} (${size} rows)`,
    gswarm: `${fmt(g.ms)} ms`,
    peer: `${fmt(d.ms)} ms`,
    ratio: ratio(d.ms / g.ms),
    target: `≥ ${targetRatio}x`,
    met: d.ms / g.ms >= targetRatio,
  };
}
