/**
 * The founding scenario over HTTP: `gswarm serve` in a child process; per run, 100 markets (one
 * per 100 ticks at any --scale) with two reflexes each (price above 150, price below 50), then
 * 10,000 ticks over them, sent as a client would send them (`GswarmClient.batcher`: batches of
 * 5,000, 4 in flight), with 8 band crossings per market at known ticks, so each run must raise
 * exactly 800 known alerts. The alert stream (SSE) is read by the client SDK in a separate process
 * (bench/workers/alerts.ts), so the sender's work does not delay it.
 *
 * Figures: ingest time (first tick handed to the batcher, which encodes and sends, → last 202),
 * the tick/id count (exactly +10,000 per run), the alerts received (exactly the expected ones),
 * and alert latency, two ways: Date.now() at receipt − durable_at_ms, the instant of the alert's tx
 * on the server's clock, taken before the commit (both whole milliseconds, so the resolution is
 * 1 ms), which counts the commit; and receipt − the sender's receipt of the 202 for the alert's
 * tx (both on this machine's clock, sub-ms). The server writes the 202 once the tx is durable, in
 * the turn it writes the tx's alerts, and the sender is idle then (both batches are sent), so
 * that is durability as a client sees it → the SSE event at a client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Market, Reflex, Tick } from '../src/api/wire.js';
import { type BodyEncoding, GswarmClient, TickBatcher } from '../src/client/index.js';
import { inFlight } from './lib/pool.js';
import { eachStdoutLine, metricSamples, overloadRefusals, startServer } from './lib/server.js';
import type { Context, Row, Suite } from './lib/suite.js';
import { tsBase } from './lib/ticks.js';
import { fmt, median, now, percentile, wallClockMs } from './lib/timing.js';

/** Markets per 10,000 ticks: 100 ticks per market, at any --scale. */
const ticksPerMarket = 100;
const crossingEvery = 25;
const basePrice = 100;
const spikePrice = 200;
const crashPrice = 10;
const batchTicks = 5000;
const concurrency = 4;
const runsPerEncoding = 4;
const alertWaitMs = 10_000;
const ingestTargetMs = 50;
const ingestFloorMs = 1000;
const p99TargetMs = 5;
const p99FloorMs = 50;

interface Scenario {
  markets: Market[];
  reflexes: Reflex[];
  ticks: Tick[];
  /** `reflex|tick` of every alert the ticks must raise. */
  expected: Set<string>;
}

/**
 * Ticks go round-robin over the markets; a market's n-th tick is near the base price, except
 * n ≡ 12 (mod 25), a spike above the upper band, and n ≡ 24 (mod 25), a dip below the lower one.
 * Each crossing follows an in-between tick, so each raises exactly one alert.
 */
function scenario(runId: string, tickCount: number): Scenario {
  const marketCount = Math.max(1, Math.round(tickCount / ticksPerMarket));
  const markets = Array.from({ length: marketCount }, (_, m) => ({
    id: `${runId}-m${m}`,
    name: `Market ${m}`,
  }));
  const reflexes: Reflex[] = markets.flatMap((market) => [
    { id: `${market.id}-spike`, market: market.id, attr: 'tick/price' as const, above: 150 },
    { id: `${market.id}-crash`, market: market.id, attr: 'tick/price' as const, below: 50 },
  ]);
  const ticks: Tick[] = [];
  const expected = new Set<string>();
  for (let i = 0; i < tickCount; i++) {
    const market = markets[i % marketCount]!.id;
    const n = Math.floor(i / marketCount);
    const id = `${market}-t${n}`;
    let price = basePrice + ((n * 7919) % 100) / 100;
    if (n % crossingEvery === 12) {
      price = spikePrice;
      expected.add(`${market}-spike|${id}`);
    } else if (n % crossingEvery === 24) {
      price = crashPrice;
      expected.add(`${market}-crash|${id}`);
    }
    ticks.push({ id, market, price, volume: 1 + (n % 10), ts: tsBase + i });
  }
  return { markets, reflexes, ticks, expected };
}

interface Received {
  reflex: string;
  tick: string;
  tx: number;
  latencyMs: number;
  receivedAtMs: number;
}

/** The alert-stream consumer process; resolves once its stream is open. */
async function alertConsumer(url: string, onAlert: (alert: Received) => void): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./workers/alerts.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, url], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let opened: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (opened = resolve));
  eachStdoutLine(child, (line) => {
    const message = JSON.parse(line) as Received | { open: true };
    if ('open' in message) opened();
    else onAlert(message);
  });
  const failed = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`alert consumer exited with ${code}`))),
  );
  failed.catch(() => undefined);
  await Promise.race([open, failed]);
  return child;
}

interface RunResult {
  encoding: BodyEncoding;
  ingestMs: number;
  countAdded: number;
  alertsReceived: number;
  alertsExpected: number;
  exact: boolean;
  latenciesMs: number[];
  /** Receipt of each alert − receipt of its tx's 202, at the client. */
  fromAckMs: number[];
}

interface ServerSetting {
  label: string;
  args: string[];
}

/** The server as started by default, then with the commit-latency backpressure threshold raised. */
const settings: ServerSetting[] = [
  { label: 'default server settings', args: [] },
  { label: '--commit-latency-ms-max 1000', args: ['--commit-latency-ms-max', '1000'] },
];

async function runOnServer(
  ctx: Context,
  setting: ServerSetting,
  tickCount: number,
): Promise<{ results: RunResult[]; refusals: number; serverMeans: ServerMeans }> {
  const server = await startServer({ label: 'founding', args: setting.args });
  ctx.log(`founding-http (${setting.label}): server at ${server.url}`);
  const byTick = new Map<string, Received>();
  let received = 0;
  const consumer = await alertConsumer(server.url, (alert) => {
    received++;
    byTick.set(`${alert.reflex}|${alert.tick}`, alert);
  });
  const results: RunResult[] = [];
  let refusals = 0;
  let serverMeans: ServerMeans | undefined;
  try {
    const encodings: BodyEncoding[] = ['none', 'zstd'];
    for (let run = 0; run < runsPerEncoding * encodings.length; run++) {
      const encoding = encodings[Math.floor(run / runsPerEncoding)]!;
      const client = new GswarmClient({ url: server.url, encoding });
      const s = scenario(`r${run}`, tickCount);
      await client.ingest({ markets: s.markets });
      await inFlight(s.reflexes.length, 8, (i) => client.putReflex(s.reflexes[i]!));
      const countBefore = (await client.count('tick/id')).count;
      const receivedBefore = received;
      const refusedBefore = await overloadRefusals(server.url);

      const started = now();
      const ackedAtMs = new Map<number, number>();
      const batcher = new TickBatcher(
        async (batch) => {
          const result = await client.ingest(batch);
          ackedAtMs.set(result.tx, wallClockMs());
          return result;
        },
        { batchTicksMax: batchTicks, concurrencyMax: concurrency },
      );
      for (const tick of s.ticks) await batcher.add(tick);
      const totals = await batcher.flush();
      const ingestMs = now() - started;
      if (totals.accepted !== tickCount) throw new Error(`${totals.accepted} ticks accepted`);

      const deadline = now() + alertWaitMs;
      const ours = () => [...s.expected].filter((key) => byTick.has(key)).length;
      while (ours() < s.expected.size && now() < deadline) await sleep(5);
      await sleep(50); // room for any alert beyond the expected ones
      const countAdded = (await client.count('tick/id')).count - countBefore;
      const refused = (await overloadRefusals(server.url)) - refusedBefore;
      refusals += refused;
      const alertsReceived = received - receivedBefore;
      const alerts = [...s.expected].flatMap((key) => byTick.get(key) ?? []);
      const latenciesMs = alerts.map((alert) => alert.latencyMs);
      const fromAckMs = alerts.map((alert) => alert.receivedAtMs - ackedAtMs.get(alert.tx)!);
      const exact = alertsReceived === s.expected.size && latenciesMs.length === s.expected.size;
      results.push({
        encoding,
        ingestMs,
        countAdded,
        alertsReceived,
        alertsExpected: s.expected.size,
        exact,
        latenciesMs,
        fromAckMs,
      });
      ctx.log(
        `  run ${run} (${encoding}): ingest ${fmt(ingestMs)} ms, ${refused} refused (503), count +${countAdded}, ` +
          `${alertsReceived}/${s.expected.size} alerts, p50 ${fmt(percentile(sortedOf(latenciesMs), 0.5))} ms, ` +
          `p99 ${fmt(percentile(sortedOf(latenciesMs), 0.99))} ms; from the 202: ` +
          `p50 ${fmt(percentile(sortedOf(fromAckMs), 0.5))} ms, p99 ${fmt(percentile(sortedOf(fromAckMs), 0.99))} ms`,
      );
    }
    serverMeans = {
      alertMs: await histogramMeanMs(server.url, 'gswarm_alert_latency_seconds'),
      commitMs: await histogramMeanMs(server.url, 'gswarm_commit_latency_seconds'),
    };
  } finally {
    consumer.stdin!.end();
    await new Promise((resolve) => consumer.once('exit', resolve));
    await server.stop();
  }
  return { results, refusals, serverMeans: serverMeans! };
}

interface ServerMeans {
  /** Durable → alert written to the SSE response, as the server measures it (all runs). */
  alertMs: number;
  /** Batch handed to the store → durable (all ingest requests, incl. market creation). */
  commitMs: number;
}

async function histogramMeanMs(url: string, name: string): Promise<number> {
  const sum = await metricSamples(url, `${name}_sum`);
  const count = await metricSamples(url, `${name}_count`);
  const total = (samples: Map<string, number>) => [...samples.values()].reduce((a, b) => a + b, 0);
  return (total(sum) / total(count)) * 1000;
}

export const foundingHttp: Suite = {
  name: 'founding-http',
  title: 'Founding scenario over HTTP: 10,000 ticks, exact count, alerts on the SSE stream',
  async run(ctx) {
    const tickCount = ctx.scaled(10_000, 1000);
    const ticksText = tickCount.toLocaleString('en-US');
    const rows: Row[] = [];
    const ms = (x: number) => `${fmt(x)} ms`;
    const ingestTarget = `< ${ingestTargetMs} ms (floor ${ingestFloorMs / 1000} s)`;
    for (const setting of settings) {
      const { results, refusals, serverMeans } = await runOnServer(ctx, setting, tickCount);
      const tag = (metric: string) => `${setting.label}: ${metric}`;
      const cold = results[0]!;
      rows.push({
        metric: tag(`ingest ${ticksText} ticks, JSON, 1st run on a fresh server`),
        gswarm: ms(cold.ingestMs),
        target: ingestTarget,
        met: cold.ingestMs < ingestTargetMs,
      });
      for (const encoding of ['none', 'zstd'] as const) {
        const warm = results.slice(1).filter((r) => r.encoding === encoding);
        const times = warm.map((r) => r.ingestMs);
        const label = encoding === 'none' ? 'JSON' : 'JSON+zstd';
        rows.push({
          metric: tag(`ingest ${ticksText} ticks, ${label}, median of ${warm.length} (min–max)`),
          gswarm: `${ms(median(times))} (${fmt(Math.min(...times))}–${fmt(Math.max(...times))})`,
          target: ingestTarget,
          met: median(times) < ingestTargetMs,
        });
      }
      rows.push({
        metric: tag(`ingest requests refused with 503, ${results.length} runs`),
        gswarm: String(refusals),
      });
      rows.push({
        metric: tag('tick/id count added per run (every run)'),
        gswarm: [...new Set(results.map((r) => r.countAdded.toLocaleString('en-US')))].join(', '),
        target: `exactly ${ticksText}`,
        met: results.every((r) => r.countAdded === tickCount),
      });
      const expectedAll = results.reduce((sum, r) => sum + r.alertsExpected, 0);
      const receivedAll = results.reduce((sum, r) => sum + r.alertsReceived, 0);
      rows.push({
        metric: tag(`alerts received, ${results.length} runs (${cold.alertsExpected} expected per run)`),
        gswarm: `${receivedAll.toLocaleString('en-US')} of ${expectedAll.toLocaleString('en-US')}`,
        target: 'exactly the expected',
        met: results.every((r) => r.exact),
      });
      const all = sortedOf(results.flatMap((r) => r.latenciesMs));
      rows.push({
        metric: tag(
          'alert latency (tx instant → SSE event at the client: counts the commit), p50 / p99 / max',
        ),
        gswarm: `${ms(percentile(all, 0.5))} / ${ms(percentile(all, 0.99))} / ${ms(all[all.length - 1]!)}`,
      });
      const fromAck = sortedOf(results.flatMap((r) => r.fromAckMs));
      rows.push({
        metric: tag('alert latency (202 received → SSE event received, at the clients), p50 / max'),
        gswarm: `${ms(percentile(fromAck, 0.5))} / ${ms(fromAck[fromAck.length - 1]!)}`,
      });
      rows.push({
        metric: tag('alert latency, 202 → SSE event, p99'),
        gswarm: ms(percentile(fromAck, 0.99)),
        target: `< ${p99TargetMs} ms (floor ${p99FloorMs} ms)`,
        met: percentile(fromAck, 0.99) < p99TargetMs,
      });
      rows.push({
        metric: tag('server side, mean: tx instant → SSE write / batch handed to store → durable'),
        gswarm: `${ms(serverMeans.alertMs)} / ${ms(serverMeans.commitMs)}`,
      });
      const coldLatencies = sortedOf(cold.latenciesMs);
      const coldFromAck = sortedOf(cold.fromAckMs);
      rows.push({
        metric: tag('alert latency, 1st run on a fresh server, p50 / p99: from tx instant; from the 202'),
        gswarm:
          `${ms(percentile(coldLatencies, 0.5))} / ${ms(percentile(coldLatencies, 0.99))}; ` +
          `${ms(percentile(coldFromAck, 0.5))} / ${ms(percentile(coldFromAck, 0.99))}`,
      });
    }
    rows.push({
      metric: 'client settings',
      gswarm: `${Math.round(tickCount / ticksPerMarket)} markets, batches of ${batchTicks.toLocaleString('en-US')}, ${concurrency} in flight`,
    });
    return rows;
  },
};

function sortedOf(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
