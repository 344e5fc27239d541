/** `gswarm ingest FILE...`: streams rows from files into a server in batches. */
import type { GswarmClient, IngestTotals } from '../client/index.js';
import { Progress } from './progress.js';
import { readRows } from './tick-files.js';

export interface IngestFilesOptions {
  batchTicksMax: number;
  concurrencyMax: number;
  /** Declare every market the ticks name (idempotent), for files that hold ticks only. */
  createMarkets: boolean;
}

export async function ingestFiles(
  client: GswarmClient,
  paths: string[],
  options: IngestFilesOptions,
): Promise<IngestTotals> {
  const batcher = client.batcher({
    batchTicksMax: options.batchTicksMax,
    concurrencyMax: options.concurrencyMax,
  });
  const declared = new Set<string>();
  const progress = new Progress('ticks');
  let ticks = 0;
  try {
    await sendFiles();
  } catch (error) {
    const totals = await batcher.settle();
    progress.done(ticks);
    throw new IngestStoppedError(error, totals);
  }
  progress.done(ticks);
  return batcher.totals;

  async function sendFiles(): Promise<void> {
    for (const path of paths) {
      for await (const row of readRows(path)) {
        if ('market' in row) {
          declared.add(row.market.id);
          await batcher.addMarket(row.market);
          continue;
        }
        if (options.createMarkets && !declared.has(row.tick.market)) {
          declared.add(row.tick.market);
          await batcher.addMarket({ id: row.tick.market });
        }
        await batcher.add(row.tick);
        progress.update(++ticks);
      }
    }
    await batcher.flush();
  }
}

/** An ingest that stopped part-way, saying how much was stored before it did. */
export class IngestStoppedError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly totals: IngestTotals,
  ) {
    const { accepted, duplicates, batches } = totals;
    super(
      `${cause instanceof Error ? cause.message : String(cause)}\n` +
        `stopped: ${accepted} new tick(s) and ${duplicates} already stored were acknowledged (${batches} batch(es)) ` +
        'before this; ingest is idempotent, so running the same command again completes it',
    );
    this.name = 'IngestStoppedError';
  }
}
