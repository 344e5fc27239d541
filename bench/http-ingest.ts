/**
 * Sustained ingest over loopback HTTP against PostgreSQL loading the same ticks, in the same run.
 *
 * 1,000,000 ticks over 500 markets (the seeded stream of bench/lib/ticks.ts) in batches of 10,000,
 * 8 batches in flight on each side. Gswarm: `gswarm serve` in a child process (a fresh store for
 * each body format), markets created first, then POST /v2/ingest with (a) JSON `{ "ticks": [...] }`
 * bodies and (b) NDJSON bodies compressed with zstd; a batch counts when its 202 (sent once it is
 * durable) arrives. A 503 is waited out as the client SDK does (Retry-After) and counted. JSON
 * once more with `--parse-workers 0` (every body parsed on the event loop) shows what the parse
 * workers change.
 * PostgreSQL: scratch tables with the same keys and constraints, one connection per lane, each
 * batch one `COPY ... FROM STDIN` (its own transaction, committed with synchronous_commit on).
 *
 * Bodies (and PostgreSQL's COPY text) are encoded before the clock starts, all of them (each batch
 * holds distinct ticks, so a smaller pool re-sent would only measure duplicates); the encoding
 * time is reported beside the figures. Both sides are checked to hold exactly N ticks afterwards.
 */
import { compress } from 'zstd-napi';
import { inFlight } from './lib/pool.js';
import {
  connectPg,
  copyIn,
  copyText,
  createTickTables,
  dropTickTables,
  insertPgMarkets,
  type PgClient,
} from './lib/postgres.js';
import { overloadRefusals, startServer } from './lib/server.js';
import type { Context, Row, Suite } from './lib/suite.js';
import { marketRows, TickStream } from './lib/ticks.js';
import { fmt, now, ratio } from './lib/timing.js';

const marketCount = 500;
const batchTicks = 10_000;
const concurrency = 8;
const targetRate = 250_000;
const targetRatio = 2;
const raisedLatencyMs = 1000;
const raisedLabel = `--commit-latency-ms-max ${raisedLatencyMs}`;
const onLoopLabel = `${raisedLabel} --parse-workers 0`;

interface Bodies {
  json: Buffer[];
  ndjsonZstd: Buffer[];
  copy: Buffer[];
  encodeMs: { json: number; ndjsonZstd: number; copy: number };
}

function encodeBodies(count: number): Bodies {
  const bodies: Bodies = {
    json: [],
    ndjsonZstd: [],
    copy: [],
    encodeMs: { json: 0, ndjsonZstd: 0, copy: 0 },
  };
  const stream = new TickStream(marketCount);
  while (stream.produced < count) {
    const ticks = stream.batch(Math.min(batchTicks, count - stream.produced));
    let start = now();
    bodies.json.push(Buffer.from(JSON.stringify({ ticks })));
    bodies.encodeMs.json += now() - start;
    start = now();
    let ndjson = '';
    for (const tick of ticks) ndjson += `${JSON.stringify(tick)}\n`;
    bodies.ndjsonZstd.push(compress(Buffer.from(ndjson)));
    bodies.encodeMs.ndjsonZstd += now() - start;
    start = now();
    bodies.copy.push(Buffer.from(copyText(ticks)));
    bodies.encodeMs.copy += now() - start;
  }
  return bodies;
}

const bytes = (buffers: readonly Buffer[]) => buffers.reduce((sum, b) => sum + b.length, 0);

interface GswarmRun {
  rate: number;
  refusals: number;
  retriedMs: number;
}

async function runGswarm(
  ctx: Context,
  label: string,
  bodies: readonly Buffer[],
  headers: Record<string, string>,
  count: number,
  serverArgs: readonly string[] = [],
): Promise<GswarmRun> {
  const server = await startServer({ label: 'ingest', args: serverArgs });
  try {
    const created = await fetch(`${server.url}/v2/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ markets: marketRows(marketCount) }),
    });
    if (created.status !== 202)
      throw new Error(`creating the markets: ${created.status} ${await created.text()}`);
    let accepted = 0;
    let refused = 0;
    let retriedMs = 0;
    const start = now();
    await inFlight(bodies.length, concurrency, async (i) => {
      for (;;) {
        const response = await fetch(`${server.url}/v2/ingest`, {
          method: 'POST',
          headers,
          body: bodies[i]!,
        });
        if (response.status === 202) {
          const result = (await response.json()) as { accepted: number };
          accepted += result.accepted;
          return;
        }
        const text = await response.text();
        if (response.status !== 503) throw new Error(`batch ${i}: ${response.status} ${text}`);
        refused++;
        const waitMs = Number(response.headers.get('retry-after') ?? 1) * 1000;
        retriedMs += waitMs;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    });
    const ms = now() - start;
    const stored = ((await (await fetch(`${server.url}/v2/count/tick%2Fid`)).json()) as { count: number })
      .count;
    if (accepted !== count || stored !== count) {
      throw new Error(`gswarm ${label}: ${accepted} accepted, ${stored} stored, ${count} sent`);
    }
    const refusals = await overloadRefusals(server.url);
    if (refusals !== refused) throw new Error(`${refused} 503s seen, the server counted ${refusals}`);
    const rate = count / (ms / 1000);
    ctx.log(`  gswarm ${label}: ${fmt(rate)} ticks/s (${fmt(ms)} ms), ${refused} refused (503)`);
    return { rate, refusals: refused, retriedMs };
  } finally {
    await server.stop();
  }
}

async function runPostgres(ctx: Context, bodies: readonly Buffer[], count: number): Promise<number> {
  const admin = await connectPg();
  const lanes: PgClient[] = [];
  const tables = await createTickTables(admin);
  try {
    await insertPgMarkets(admin, tables, marketRows(marketCount));
    for (let i = 0; i < concurrency; i++) lanes.push(await connectPg());
    const sql = `COPY ${tables.ticks} (id, market, price, volume, ts) FROM STDIN`;
    const setting = async (name: string) => Object.values((await admin.query(`SHOW ${name}`)).rows[0])[0];
    ctx.log(
      `  postgres: synchronous_commit=${await setting('synchronous_commit')}, fsync=${await setting('fsync')}`,
    );
    let copied = 0;
    let next = 0;
    const start = now();
    await Promise.all(
      lanes.map(async (lane) => {
        while (next < bodies.length) {
          const rows = await copyIn(lane, sql, bodies[next++]!);
          copied += rows;
        }
      }),
    );
    const ms = now() - start;
    const stored = Number((await admin.query(`SELECT count(*) AS n FROM ${tables.ticks}`)).rows[0].n);
    if (copied !== count || stored !== count) throw new Error(`postgres: ${copied} copied, ${stored} stored`);
    const rate = count / (ms / 1000);
    ctx.log(`  postgres COPY: ${fmt(rate)} ticks/s (${fmt(ms)} ms)`);
    return rate;
  } finally {
    await Promise.all(lanes.map((lane) => lane.end()));
    await dropTickTables(admin, tables);
    await admin.end();
  }
}

export const httpIngest: Suite = {
  name: 'http-ingest',
  title: 'Sustained ingest over loopback HTTP, JSON and NDJSON+zstd, against PostgreSQL COPY',
  peer: 'PostgreSQL (local, COPY FROM STDIN through pg, PK + FK + CHECK, synchronous_commit on)',
  async run(ctx) {
    const count = ctx.scaled(1_000_000, batchTicks);
    const bodies = encodeBodies(count);
    const e = bodies.encodeMs;
    ctx.log(
      `http-ingest: ${count.toLocaleString('en-US')} ticks, ${bodies.json.length} batches of ${batchTicks}, ` +
        `${concurrency} in flight; encoded beforehand in ${fmt(e.json)} ms (JSON), ` +
        `${fmt(e.ndjsonZstd)} ms (NDJSON+zstd), ${fmt(e.copy)} ms (COPY text)`,
    );
    const pgRate = await runPostgres(ctx, bodies.copy, count);
    const jsonHeaders = { 'content-type': 'application/json' };
    const zstdHeaders = { 'content-type': 'application/x-ndjson', 'content-encoding': 'zstd' };
    const json = await runGswarm(ctx, 'JSON', bodies.json, jsonHeaders, count);
    const zstd = await runGswarm(ctx, 'NDJSON+zstd', bodies.ndjsonZstd, zstdHeaders, count);
    // The same with the commit-latency backpressure threshold raised, so no batch is refused.
    const raised = ['--commit-latency-ms-max', String(raisedLatencyMs)];
    const jsonRaised = await runGswarm(ctx, `JSON, ${raisedLabel}`, bodies.json, jsonHeaders, count, raised);
    const zstdRaised = await runGswarm(
      ctx,
      `NDJSON+zstd, ${raisedLabel}`,
      bodies.ndjsonZstd,
      zstdHeaders,
      count,
      raised,
    );
    // Every body parsed on the event loop, as before parse workers: what the workers add.
    const onLoop = [...raised, '--parse-workers', '0'];
    const jsonOnLoop = await runGswarm(ctx, `JSON, ${onLoopLabel}`, bodies.json, jsonHeaders, count, onLoop);
    const target = `≥ ${fmt(targetRate)} ticks/s, ≥ ${targetRatio}x PostgreSQL`;
    const perTick = (buffers: readonly Buffer[]) => `${fmt(bytes(buffers) / count)} B/tick`;
    const rows: Row[] = [
      {
        metric: 'ticks/s, JSON bodies',
        gswarm: fmt(json.rate),
        peer: fmt(pgRate),
        ratio: ratio(json.rate / pgRate),
        target,
        met: json.rate >= targetRate && json.rate / pgRate >= targetRatio,
      },
      {
        metric: 'ticks/s, NDJSON+zstd bodies',
        gswarm: fmt(zstd.rate),
        peer: fmt(pgRate),
        ratio: ratio(zstd.rate / pgRate),
        target: `≥ ${targetRatio}x PostgreSQL`,
        met: zstd.rate / pgRate >= targetRatio,
      },
      {
        metric: '503 refusals waited out (JSON / NDJSON+zstd)',
        gswarm: `${json.refusals} / ${zstd.refusals} (${fmt(json.retriedMs + zstd.retriedMs)} lane-ms waited, summed over lanes)`,
      },
      {
        metric: `ticks/s, JSON bodies, ${raisedLabel}`,
        gswarm: fmt(jsonRaised.rate),
        peer: fmt(pgRate),
        ratio: ratio(jsonRaised.rate / pgRate),
        target,
        met: jsonRaised.rate >= targetRate && jsonRaised.rate / pgRate >= targetRatio,
      },
      {
        metric: `ticks/s, NDJSON+zstd bodies, ${raisedLabel}`,
        gswarm: fmt(zstdRaised.rate),
        peer: fmt(pgRate),
        ratio: ratio(zstdRaised.rate / pgRate),
        target: `≥ ${targetRatio}x PostgreSQL`,
        met: zstdRaised.rate / pgRate >= targetRatio,
      },
      {
        metric: `ticks/s, JSON bodies, ${onLoopLabel}`,
        gswarm: fmt(jsonOnLoop.rate),
        peer: fmt(pgRate),
        ratio: ratio(jsonOnLoop.rate / pgRate),
      },
      {
        metric: `503 refusals, ${raisedLabel} (JSON / NDJSON+zstd)`,
        gswarm: `${jsonRaised.refusals} / ${zstdRaised.refusals}`,
      },
      {
        metric: 'body size (JSON / NDJSON+zstd; peer: COPY text)',
        gswarm: `${perTick(bodies.json)} / ${perTick(bodies.ndjsonZstd)}`,
        peer: perTick(bodies.copy),
      },
      {
        metric: 'settings',
        gswarm: `${bodies.json.length} batches of ${batchTicks.toLocaleString('en-US')}, ${concurrency} in flight`,
        peer: `${concurrency} connections, 1 COPY per batch`,
      },
    ];
    return rows;
  },
};
