/**
 * `gswarm simulate`: a random-walk ticker driving a server at a target rate. When the server pushes
 * back (503), the client waits out Retry-After and the batcher holds the producer, so the feed
 * slows down instead of queueing without bound.
 */
import { randomBytes } from 'node:crypto';
import type { GswarmClient } from '../client/index.js';
import { Progress } from './progress.js';

export interface SimulateOptions {
  marketCount: number;
  ticksPerS: number;
  /** Stop after this long; 0 runs until the signal aborts. */
  durationS: number;
  batchTicksMax: number;
  concurrencyMax: number;
  signal?: AbortSignal;
}

const stepMs = 50;

export async function simulate(client: GswarmClient, options: SimulateOptions): Promise<number> {
  const runId = randomBytes(4).toString('hex');
  const markets = Array.from({ length: options.marketCount }, (_, m) => ({
    id: `SIM-${m}`,
    name: `Simulated ${m}`,
  }));
  await client.ingest({ markets });
  const prices = markets.map(() => 100);
  const batcher = client.batcher({
    batchTicksMax: options.batchTicksMax,
    concurrencyMax: options.concurrencyMax,
    lingerMs: stepMs,
  });
  const progress = new Progress('simulated ticks');
  const startedMs = Date.now();
  const endMs = options.durationS > 0 ? startedMs + options.durationS * 1000 : Number.POSITIVE_INFINITY;
  let sent = 0;
  while (!options.signal?.aborted && Date.now() < endMs) {
    // Catch up to where the target rate says we should be; a slow server makes this lag, not pile up.
    const due = Math.floor(((Date.now() - startedMs) / 1000) * options.ticksPerS);
    for (; sent < due && !options.signal?.aborted; sent++) {
      const m = sent % markets.length;
      prices[m] = Math.max(0.01, prices[m] * (1 + (Math.random() - 0.5) * 0.002));
      const tick = {
        id: `${runId}-${sent}`,
        market: markets[m].id,
        price: Math.round(prices[m] * 100) / 100,
        volume: 1 + Math.floor(Math.random() * 100),
        ts: Date.now(),
      };
      await batcher.add(tick);
    }
    progress.update(sent);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  await batcher.flush();
  progress.done(sent);
  return sent;
}
