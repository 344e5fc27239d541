/**
 * The loaded stores the read suites (latest, count) share within one run: Gswarm (persistent, in a
 * temp dir) and SQLite holding the same ticks in the same batches. The ingest suite provides them
 * from its measured run; run alone, a read suite builds them (untimed).
 */
import { storage } from '../../src/index.js';
import { Swarm } from '../../src/market/swarm.js';
import { insertMarkets, openSqlite, type Sqlite, tickInserter } from './sqlite.js';
import type { Context } from './suite.js';
import { marketRows, TickStream } from './ticks.js';
import { tempDir } from './tmp.js';

export const marketCount = 500;
export const batchSize = 1000;

export interface LoadedStores {
  swarm: Swarm;
  sqlite: Sqlite;
  /** Gswarm's tx id of each batch, in order; SQLite stores batch i as tx i + 1. */
  txs: number[];
  ticks: number;
}

let loaded: Promise<LoadedStores> | undefined;

export function provideStores(stores: LoadedStores): void {
  loaded = Promise.resolve(stores);
}

/** The shared stores, with the SQLite index the read queries use (added untimed, after ingest). */
export async function loadedStores(ctx: Context): Promise<LoadedStores> {
  loaded ??= build(ctx);
  const stores = await loaded;
  stores.sqlite.exec('CREATE INDEX IF NOT EXISTS ticks_tx ON ticks(tx)');
  return stores;
}

async function build(ctx: Context): Promise<LoadedStores> {
  const ticks = ctx.scaled(1_000_000, batchSize);
  ctx.log(`building the shared stores: ${ticks.toLocaleString('en-US')} ticks, both sides (untimed)`);
  const sqlite = openSqlite(tempDir('sqlite'));
  insertMarkets(sqlite, marketRows(marketCount));
  const insert = tickInserter(sqlite);
  const swarm = await Swarm.open({ storage: storage.persistent(tempDir('gswarm')) });
  await swarm.ingest({ markets: marketRows(marketCount) });
  const stream = new TickStream(marketCount);
  const txs: number[] = [];
  for (let i = 1; stream.produced < ticks; i++) {
    const batch = stream.batch(Math.min(batchSize, ticks - stream.produced));
    insert(batch, i);
    txs.push((await swarm.ingest({ ticks: batch })).tx);
  }
  return { swarm, sqlite, txs, ticks };
}

export async function closeStores(): Promise<void> {
  if (!loaded) return;
  const { swarm, sqlite } = await loaded;
  sqlite.close();
  await swarm.close();
  loaded = undefined;
}
