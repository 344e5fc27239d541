/**
 * Worker for the retention suite, run in a fresh process with --expose-gc:
 *   retention.ts gswarm <dir> <ticksPerS> <seconds> <windowTicks>
 *   retention.ts sqlite <dir> <ticksPerS> <seconds> <windowTicks>
 * Ingests at a steady rate (batches of 1,000, paced to the rate, up to 4 in flight) for
 * `seconds`, keeping a window of the latest `windowTicks` ticks: Gswarm with `--retain`'s pruner
 * (Swarm.retain), SQLite by deleting the ticks behind the window once a second, as a cron job would.
 * Samples memory (after a full GC), bytes on disk and the longest event-loop stall every
 * `seconds / 20`. Prints one JSON line.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { storage } from '../../src/index.js';
import { Swarm } from '../../src/market/swarm.js';
import { memoryNow } from '../lib/child.js';
import { batchSize, marketCount } from '../lib/fixture.js';
import { insertMarkets, openSqlite, tickInserter } from '../lib/sqlite.js';
import { marketRows, TickStream } from '../lib/ticks.js';
import { now } from '../lib/timing.js';

export interface RetentionSample {
  atS: number;
  ticks: number;
  heapBytes: number;
  diskBytes: number;
  stallMsMax: number;
}

export interface RetentionResult {
  samples: RetentionSample[];
  ticks: number;
  seconds: number;
}

const [peer, dir, rateText, secondsText, windowText] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
const windowTicks = Number(windowText);

function dirBytes(path: string): number {
  return readdirSync(path).reduce((sum, name) => sum + statSync(join(path, name)).size, 0);
}

interface Target {
  ingest(ticks: ReturnType<TickStream['batch']>): Promise<unknown>;
  close(): Promise<void>;
}

async function gswarm(): Promise<Target> {
  const swarm = await Swarm.open({ storage: storage.persistent(dir!) });
  await swarm.ingest({ markets: marketRows(marketCount) });
  swarm.retain({ retainTicks: windowTicks, summaryWidthMs: 60_000 });
  return { ingest: (ticks) => swarm.ingest({ ticks }), close: () => swarm.close() };
}

async function sqlite(): Promise<Target> {
  const db = openSqlite(dir!);
  insertMarkets(db, marketRows(marketCount));
  const insert = tickInserter(db);
  const prune = db.prepare('DELETE FROM ticks WHERE rowid <= (SELECT MAX(rowid) FROM ticks) - ?');
  const timer = setInterval(() => prune.run(windowTicks), 1000);
  let tx = 0;
  return {
    ingest: async (ticks) => insert(ticks, ++tx),
    close: async () => {
      clearInterval(timer);
      db.close();
    },
  };
}

const target = peer === 'sqlite' ? await sqlite() : await gswarm();
const stream = new TickStream(marketCount);
const samples: RetentionSample[] = [];
const stalls = monitorEventLoopDelay({ resolution: 5 });
stalls.enable();
const start = now();
const sampleEveryMs = (seconds * 1000) / 20;
let nextSample = sampleEveryMs;
let inFlight = 0;
for (;;) {
  const elapsed = now() - start;
  if (elapsed >= seconds * 1000) break;
  if (elapsed >= nextSample) {
    nextSample += sampleEveryMs;
    const stallMsMax = stalls.max / 1e6;
    const { heap } = memoryNow();
    samples.push({
      atS: elapsed / 1000,
      ticks: stream.produced,
      heapBytes: heap,
      diskBytes: dirBytes(dir!),
      stallMsMax,
    });
    // The full GC just forced is the sampler's stall, not the store's.
    await new Promise((resolve) => setTimeout(resolve, 20));
    stalls.reset();
  }
  // Paced: a batch when the stream is behind the rate, at most 4 in flight.
  if (stream.produced < (rate * elapsed) / 1000 && inFlight < 4) {
    inFlight++;
    void target.ingest(stream.batch(batchSize)).finally(() => inFlight--);
  } else await new Promise((resolve) => setTimeout(resolve, 1));
}
while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
await target.close();
const result: RetentionResult = { samples, ticks: stream.produced, seconds };
process.stdout.write(`${JSON.stringify(result)}\n`);
