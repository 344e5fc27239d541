/**
 * The PostgreSQL peer through `pg`: a local server (127.0.0.1:5432, user postgres, database test,
 * or PGHOST/PGPORT/PGUSER/PGDATABASE), scratch tables with the tick schema (primary key on the
 * tick id, a foreign key to markets, CHECK price >= 0 and volume >= 0), dropped afterwards.
 *
 * Ticks are loaded with `COPY ... FROM STDIN` (text format). `pg` speaks the COPY sub-protocol
 * through its "submittable" interface (what pg-copy-streams builds on, which is not installed
 * here): `CopyIn` below sends the query, answers the server's CopyInResponse with the data as
 * CopyData messages and CopyDone, and settles on ReadyForQuery. Outside a transaction block each
 * COPY is its own transaction, committed (and, with synchronous_commit on, flushed) when it ends.
 */
import type { Connection } from 'pg';
import pg from 'pg';
import type { MarketRow, TickRow } from '../../src/market/swarm.js';

export type PgClient = pg.Client;

export function pgConfig(): pg.ClientConfig {
  const env = process.env;
  return {
    host: env.PGHOST ?? '127.0.0.1',
    port: Number(env.PGPORT ?? 5432),
    user: env.PGUSER ?? 'postgres',
    database: env.PGDATABASE ?? 'test',
  };
}

export async function connectPg(): Promise<PgClient> {
  const client = new pg.Client(pgConfig());
  await client.connect();
  return client;
}

export interface ScratchTables {
  markets: string;
  ticks: string;
}

/** Fresh scratch tables named after this process, so concurrent runs do not collide. */
export async function createTickTables(client: PgClient): Promise<ScratchTables> {
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const tables = { markets: `gswarm_bench_markets_${suffix}`, ticks: `gswarm_bench_ticks_${suffix}` };
  await client.query(`
    CREATE TABLE ${tables.markets} (
      id TEXT PRIMARY KEY,
      name TEXT
    );
    CREATE TABLE ${tables.ticks} (
      id TEXT PRIMARY KEY,
      market TEXT NOT NULL REFERENCES ${tables.markets}(id),
      price DOUBLE PRECISION NOT NULL CHECK (price >= 0),
      volume DOUBLE PRECISION NOT NULL CHECK (volume >= 0),
      ts BIGINT NOT NULL
    );
  `);
  return tables;
}

export async function dropTickTables(client: PgClient, tables: ScratchTables): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${tables.ticks}; DROP TABLE IF EXISTS ${tables.markets};`);
}

export async function insertPgMarkets(
  client: PgClient,
  tables: ScratchTables,
  markets: readonly MarketRow[],
): Promise<void> {
  await client.query(
    `INSERT INTO ${tables.markets} (id, name) SELECT * FROM unnest($1::text[], $2::text[])`,
    [markets.map((m) => m.id), markets.map((m) => m.name ?? null)],
  );
}

/** Ticks as COPY text rows (tab-separated, one per line); the ids here need no escaping. */
export function copyText(ticks: readonly TickRow[]): string {
  let out = '';
  for (const t of ticks) out += `${t.id}\t${t.market}\t${t.price}\t${t.volume}\t${t.ts}\n`;
  return out;
}

/** Runs `COPY <target> FROM STDIN` with `data` as its input; resolves with the rows copied. */
export function copyIn(client: PgClient, sql: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    client.query(new CopyIn(sql, data, resolve, reject) as unknown as pg.QueryConfig);
  });
}

/** CopyData messages are cut to this size. */
const copyChunkBytes = 256 * 1024;

class CopyIn {
  private error: Error | undefined;
  private rows = 0;

  constructor(
    readonly text: string,
    private readonly data: Buffer,
    private readonly resolve: (rows: number) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: Connection): void {
    const con = connection as Connection & {
      sendCopyFromChunk(chunk: Buffer): void;
      endCopyFrom(): void;
    };
    for (let at = 0; at < this.data.length; at += copyChunkBytes) {
      con.sendCopyFromChunk(this.data.subarray(at, at + copyChunkBytes));
    }
    con.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    this.rows = Number(/\d+$/.exec(message.text ?? '')?.[0] ?? 0);
  }

  handleError(error: Error): void {
    this.error ??= error;
    this.reject(error);
  }

  handleReadyForQuery(): void {
    if (this.error === undefined) this.resolve(this.rows);
  }

  // Not used by COPY FROM; present because the client may call them on any active query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}
