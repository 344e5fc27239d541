/**
 * `gswarm bench`: runs the founding scenario against a server and reports the ingest time, the
 * count and each alert's latency from its tx's instant (commit included) to its arrival on the SSE
 * stream.
 */
import type { Alert } from '../api/wire.js';
import type { GswarmClient } from '../client/index.js';
import { type FoundingScenario, foundingScenario, type ScenarioShape } from './founding-scenario.js';
import { Progress } from './progress.js';

export interface BenchReport {
  ingestMs: number;
  ticksSent: number;
  /** tick/id count after the run minus before it. */
  countAdded: number;
  countAfter: number;
  alerts: Alert[];
  alertLatenciesMs: number[];
  expectedAlerts: Map<string, string>;
}

export interface BenchOptions extends ScenarioShape {
  batchTicksMax: number;
  concurrencyMax: number;
  /** How long to wait for the expected alerts once the ticks are stored. */
  alertWaitMsMax: number;
  /** Told each step as it starts. */
  stage?: (line: string) => void;
}

export async function runBench(client: GswarmClient, options: BenchOptions): Promise<BenchReport> {
  const stage = options.stage ?? (() => undefined);
  const scenario = foundingScenario(options);
  const countBefore = (await client.count('tick/id')).count;
  stage(
    `${scenario.markets.length} markets and ${scenario.reflexes.length} reflexes named ${options.runId}-*`,
  );
  await client.ingest({ markets: scenario.markets });
  for (const reflex of scenario.reflexes) await client.putReflex(reflex);
  try {
    return await measure(client, options, scenario, countBefore);
  } finally {
    // Reflexes would keep firing on the user's later ticks; markets and ticks, being facts, stay.
    stage('deleting the reflexes');
    for (const reflex of scenario.reflexes) await client.deleteReflex(reflex.id);
  }
}

async function measure(
  client: GswarmClient,
  options: BenchOptions,
  scenario: FoundingScenario,
  countBefore: number,
): Promise<BenchReport> {
  const ours = new Set(scenario.reflexes.map((reflex) => reflex.id));
  const stop = new AbortController();
  const alerts: Alert[] = [];
  const alertLatenciesMs: number[] = [];
  let opened: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const listening = (async () => {
    for await (const alert of client.alertStream({ signal: stop.signal, onOpen: opened })) {
      if (!ours.has(alert.reflex)) continue;
      alertLatenciesMs.push(Date.now() - alert.durable_at_ms);
      alerts.push(alert);
      if (alerts.length >= scenario.expectedAlerts.size) break;
    }
  })();
  await open;

  const startedMs = performance.now();
  const batcher = client.batcher({
    batchTicksMax: options.batchTicksMax,
    concurrencyMax: options.concurrencyMax,
  });
  const progress = new Progress('bench: ticks');
  for (const [i, tick] of scenario.ticks.entries()) {
    await batcher.add(tick);
    progress.update(i + 1);
  }
  await batcher.flush();
  const ingestMs = performance.now() - startedMs;
  progress.done(scenario.ticks.length);
  options.stage?.(`waiting up to ${options.alertWaitMsMax} ms for ${scenario.expectedAlerts.size} alerts`);

  const timeout = setTimeout(() => stop.abort(), options.alertWaitMsMax);
  await listening;
  clearTimeout(timeout);
  stop.abort();
  const countAfter = (await client.count('tick/id')).count;
  return {
    ingestMs,
    ticksSent: scenario.ticks.length,
    countAdded: countAfter - countBefore,
    countAfter,
    alerts,
    alertLatenciesMs,
    expectedAlerts: scenario.expectedAlerts,
  };
}

export function formatBenchReport(report: BenchReport): string {
  const latencies = [...report.alertLatenciesMs].sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const matched = report.alerts.filter(
    (alert) => report.expectedAlerts.get(alert.reflex) === alert.tick,
  ).length;
  return [
    `ingest     ${report.ticksSent} ticks in ${report.ingestMs.toFixed(1)} ms`,
    `count      +${report.countAdded} (tick/id now ${report.countAfter})`,
    `alerts     ${report.alerts.length} received, ${matched} of ${report.expectedAlerts.size} expected`,
    `latency    p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(2)} ms`,
  ].join('\n');
}
