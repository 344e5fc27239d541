/**
 * Durable ingest: N ticks over 500 markets in batches of 1,000, each batch one transaction that is
 * durable (synced) before the next is counted. SQLite commits batch after batch; Gswarm awaits each
 * `swarm.ingest` in turn, then again with 4 batches in flight (group commit shares the sync), and
 * `db.transact` with entity maps, each awaited, as the README's library example does.
 * Batches are generated as they are sent (the same seeded stream for each run), so a million tick
 * objects do not sit in the heap; the generation time is measured alone and reported.
 */
import { open, schemas, storage } from '../src/index.js';
import { Swarm } from '../src/market/swarm.js';
import { batchSize, marketCount, provideStores } from './lib/fixture.js';
import { inFlight } from './lib/pool.js';
import { insertMarkets, openSqlite, tickInserter } from './lib/sqlite.js';
import type { Row, Suite } from './lib/suite.js';
import { marketRows, TickStream } from './lib/ticks.js';
import { fmt, now, ratio } from './lib/timing.js';
import { removeDir, tempDir } from './lib/tmp.js';

/** Targets: entity maps at 3x SQLite's rate, four batches in flight at 4x. */
const mapsTargetRatio = 3;
const concurrentTargetRatio = 4;
const concurrency = 4;

export const ingest: Suite = {
  name: 'ingest',
  title: 'Durable ingest, batches of 1,000 ticks over 500 markets',
  peer: 'SQLite (better-sqlite3, WAL, synchronous=FULL, FK + CHECK)',
  async run(ctx) {
    const count = ctx.scaled(1_000_000, batchSize);
    const batches = Math.ceil(count / batchSize);
    const markets = marketRows(marketCount);
    const size = (stream: TickStream) => Math.min(batchSize, count - stream.produced);
    ctx.log(`ingest: ${count.toLocaleString('en-US')} ticks, ${batches} batches`);

    let stream = new TickStream(marketCount);
    let start = now();
    let generated = 0;
    while (stream.produced < count) generated += stream.batch(size(stream)).length;
    const generateMs = now() - start;
    ctx.log(
      `  generating the ticks alone: ${fmt(generateMs)} ms (${fmt(generated / (generateMs / 1000))} ticks/s)`,
    );

    const sqlite = openSqlite(tempDir('sqlite'));
    insertMarkets(sqlite, markets);
    const insert = tickInserter(sqlite);
    stream = new TickStream(marketCount);
    start = now();
    for (let i = 1; stream.produced < count; i++) insert(stream.batch(size(stream)), i);
    const sqliteRate = count / ((now() - start) / 1000);
    ctx.log(`  sqlite: ${fmt(sqliteRate)} ticks/s`);

    const swarm = await Swarm.open({ storage: storage.persistent(tempDir('gswarm')) });
    await swarm.ingest({ markets });
    const txs: number[] = [];
    stream = new TickStream(marketCount);
    start = now();
    while (stream.produced < count) txs.push((await swarm.ingest({ ticks: stream.batch(size(stream)) })).tx);
    const serialRate = count / ((now() - start) / 1000);
    ctx.log(`  gswarm, 1 batch in flight: ${fmt(serialRate)} ticks/s`);
    // The read suites reuse these two loaded stores.
    provideStores({ swarm, sqlite, txs, ticks: count });

    const dir = tempDir('gswarm');
    const concurrent = await Swarm.open({ storage: storage.persistent(dir) });
    await concurrent.ingest({ markets });
    const concurrentStream = new TickStream(marketCount);
    start = now();
    await inFlight(batches, concurrency, () =>
      concurrent.ingest({ ticks: concurrentStream.batch(size(concurrentStream)) }),
    );
    const concurrentRate = count / ((now() - start) / 1000);
    ctx.log(`  gswarm, ${concurrency} batches in flight: ${fmt(concurrentRate)} ticks/s`);
    if (concurrent.count('tick/id').count !== count) throw new Error('concurrent ingest lost ticks');
    await concurrent.close();
    removeDir(dir);

    // As a new user would from the README: db.transact with entity maps, each batch awaited.
    const mapsDir = tempDir('gswarm-maps');
    const db = await open({ storage: storage.persistent(mapsDir), schema: schemas.market });
    await db.transact(markets.map((m) => ({ 'market/id': m.id, 'market/name': m.name })));
    const mapsStream = new TickStream(marketCount);
    start = now();
    while (mapsStream.produced < count) {
      await db.transact(
        mapsStream.batch(size(mapsStream)).map((t) => ({
          'tick/id': t.id,
          'tick/market': ['market/id', t.market],
          'tick/price': t.price,
          'tick/volume': t.volume,
          'tick/ts': t.ts,
        })),
      );
    }
    const mapsRate = count / ((now() - start) / 1000);
    ctx.log(`  gswarm, db.transact with entity maps: ${fmt(mapsRate)} ticks/s`);
    if (db.count('tick/id') !== count) throw new Error('db.transact lost ticks');
    await db.close();
    removeDir(mapsDir);

    const versusSqlite = (metric: string, rate: number, targetRatio?: number): Row => ({
      metric,
      gswarm: fmt(rate),
      peer: fmt(sqliteRate),
      ratio: ratio(rate / sqliteRate),
      ...(targetRatio !== undefined && {
        target: `≥ ${targetRatio}x SQLite`,
        met: rate / sqliteRate >= targetRatio,
      }),
    });
    const rows: Row[] = [
      versusSqlite('ticks/s, db.transact with entity maps, each batch awaited', mapsRate, mapsTargetRatio),
      versusSqlite('ticks/s, 1 batch in flight', serialRate),
      versusSqlite(`ticks/s, ${concurrency} batches in flight`, concurrentRate, concurrentTargetRatio),
    ];
    return rows;
  },
};
