/**
 * The SQLite peer through better-sqlite3: WAL, synchronous=FULL (every commit synced), foreign keys
 * on, and the tick schema with primary keys, a foreign key to markets and CHECK constraints. Each
 * tick records the batch (tx) that stored it, so "as of tx T" is `tx <= T`.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MarketRow, TickRow } from '../../src/market/swarm.js';

export type Sqlite = Database.Database;

export function openSqlite(dir: string): Sqlite {
  const db = new Database(join(dir, 'ticks.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE IF NOT EXISTS markets (
      id TEXT PRIMARY KEY,
      name TEXT
    );
    CREATE TABLE IF NOT EXISTS ticks (
      id TEXT PRIMARY KEY,
      market TEXT NOT NULL REFERENCES markets(id),
      price REAL NOT NULL CHECK (price >= 0),
      volume REAL NOT NULL CHECK (volume >= 0),
      ts INTEGER NOT NULL,
      tx INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ticks_market_ts ON ticks(market, ts);
  `);
  return db;
}

/** Inserts markets in one transaction. */
export function insertMarkets(db: Sqlite, markets: readonly MarketRow[]): void {
  const insert = db.prepare('INSERT INTO markets (id, name) VALUES (?, ?)');
  db.transaction(() => {
    for (const m of markets) insert.run(m.id, m.name ?? null);
  })();
}

/** A function storing one batch of ticks as transaction `tx`, durable when it returns. */
export function tickInserter(db: Sqlite): (ticks: readonly TickRow[], tx: number) => void {
  const insert = db.prepare(
    'INSERT INTO ticks (id, market, price, volume, ts, tx) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return db.transaction((ticks: readonly TickRow[], tx: number) => {
    for (const t of ticks) insert.run(t.id, t.market, t.price, t.volume, t.ts, tx);
  });
}
