/** The `gswarm` command. */
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultLimits } from '../api/options.js';
import { GswarmClient } from '../client/index.js';
import { formatBenchReport, runBench } from './bench.js';
import { ingestFiles } from './ingest-files.js';
import { runQuery } from './query.js';
import { simulate } from './simulate.js';

function integer(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The options every command that talks to a server shares. */
function clientOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'server URL').env('GSWARM_URL').default('http://127.0.0.1:7420'))
    .addOption(new Option('--token <token>', 'bearer token').env('GSWARM_TOKEN'))
    .addOption(
      new Option('--encoding <name>', 'ingest body encoding')
        .choices(['zstd', 'gzip', 'none'])
        .default('zstd'),
    );
}

function client(options: { url: string; token?: string; encoding: 'zstd' | 'gzip' | 'none' }): GswarmClient {
  return new GswarmClient({ url: options.url, token: options.token, encoding: options.encoding });
}

function batchOptions(command: Command): Command {
  return command
    .option('--batch-ticks <n>', 'ticks per request', integer, 5000)
    .option('--concurrency <n>', 'requests in flight', integer, 4);
}

const program = new Command('gswarm')
  .description('A time-travel fact database for market ticks')
  .version('2.0.0')
  .showHelpAfterError();

dataOption(program.command('serve'))
  .description('serve the HTTP API over a persistent store')
  .addOption(new Option('--host <host>', 'listen address').env('GSWARM_HOST').default('127.0.0.1'))
  .addOption(
    new Option('--port <n>', 'listen port (0: any free port)')
      .env('GSWARM_PORT')
      .default(7420)
      .argParser(integer),
  )
  .addOption(
    new Option('--token <token>', 'require Authorization: Bearer <token> on /v2').env('GSWARM_TOKEN'),
  )
  .option('--tls-cert <file>', 'PEM certificate; serve HTTPS with --tls-key')
  .option('--tls-key <file>', 'PEM private key')
  .addOption(new Option('--log-level <level>', 'pino log level').env('GSWARM_LOG_LEVEL').default('info'))
  .option('--body-bytes-max <n>', 'ingest body limit as sent', integer, defaultLimits.bodyBytesMax)
  .option('--decoded-bytes-max <n>', 'ingest body limit decompressed', integer, defaultLimits.decodedBytesMax)
  .option(
    '--commit-latency-ms-max <n>',
    'refuse ingest above this mean commit latency',
    integer,
    defaultLimits.commitLatencyMsMax,
  )
  .option(
    '--pending-batches-max <n>',
    'refuse ingest with this many batches in flight',
    integer,
    defaultLimits.pendingBatchesMax,
  )
  .action(async (options) => {
    const { bodyBytesMax, decodedBytesMax, commitLatencyMsMax, pendingBatchesMax } = options;
    // Loaded here so the client commands never load the store.
    const { serve } = await import('./serve.js');
    const { stopped } = await serve({
      ...options,
      limits: { bodyBytesMax, decodedBytesMax, commitLatencyMsMax, pendingBatchesMax },
    });
    process.exit(await stopped);
  });

/** The data directory option of the commands that work on a store's files. */
function dataOption(command: Command): Command {
  return command.addOption(new Option('--data <dir>', 'data directory').env('GSWARM_DATA').default('./data'));
}

dataOption(program.command('verify'))
  .description('read a data directory whole and report the first damage (exit 1 if damaged)')
  .action(async (options) => {
    const { formatVerifyReport, verifyStore } = await import('./verify.js');
    const report = await verifyStore(options.data);
    process.stdout.write(`${formatVerifyReport(report)}\n`);
    process.exitCode = report.ok ? 0 : 1;
  });

dataOption(program.command('recover'))
  .description('keep log records 1 to N and remove the rest (after damage; see docs/recovery.md)')
  .requiredOption('--truncate-after <n>', 'the last record to keep', integer)
  .action(async (options) => {
    const { truncateLog } = await import('./recover.js');
    const report = await truncateLog(options.data, options.truncateAfter);
    process.stdout.write(
      `removed ${report.removedRecords} record(s); the log ends at record ${report.lastPosition}` +
        `${report.checkpointRemoved ? '; checkpoint removed (the next start replays the log)' : ''}\n`,
    );
  });

batchOptions(clientOptions(program.command('ingest')))
  .description('ingest ticks from JSON, NDJSON or CSV files (optionally .zst)')
  .argument('<files...>')
  .option('--create-markets', 'declare each market the ticks name', false)
  .action(async (files: string[], options) => {
    const totals = await ingestFiles(client(options), files, {
      batchTicksMax: options.batchTicks,
      concurrencyMax: options.concurrency,
      createMarkets: options.createMarkets,
    });
    process.stdout.write(`${JSON.stringify(totals)}\n`);
  });

clientOptions(program.command('query'))
  .description("run a Datalog query, or read a count, the latest ticks or a market's ticks; prints JSON")
  .argument('[datalog]', 'the query (JSON or query text)')
  .option('--args <json>', 'query arguments, a JSON array')
  .option('--as-of <tx>', 'read as of this tx', integer)
  .option('--count <attr>', 'count the entities with this attribute')
  .option('--latest', 'the latest tick of each market')
  .option('--market <id>', 'with --latest: only this market (repeatable)', collect)
  .option('--ticks <market>', "a market's ticks in event-time order")
  .option('--from <ms>', 'with --ticks: from this event time', integer)
  .option('--to <ms>', 'with --ticks: up to this event time', integer)
  .option('--limit <n>', 'with --ticks: at most this many', integer)
  .action(async (datalog: string | undefined, options) => {
    const result = await runQuery(client(options), datalog, options);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  });

batchOptions(clientOptions(program.command('simulate')))
  .description('drive a server with random-walk ticks at a target rate, obeying backpressure')
  .requiredOption('--markets <n>', 'markets', integer)
  .requiredOption('--rate <n>', 'ticks per second', integer)
  .option('--duration <s>', 'seconds to run (0: until interrupted)', integer, 0)
  .action(async (options) => {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await simulate(client(options), {
      marketCount: options.markets,
      ticksPerS: options.rate,
      durationS: options.duration,
      batchTicksMax: options.batchTicks,
      concurrencyMax: options.concurrency,
      signal: stop.signal,
    });
  });

batchOptions(clientOptions(program.command('bench')))
  .description('run the founding scenario against a server: ingest time, count and alert latencies')
  .option('--ticks <n>', 'ticks to ingest', integer, 10_000)
  .option('--markets <n>', 'markets', integer, 10)
  .option('--alert-wait-ms <n>', 'how long to wait for the alerts after ingest', integer, 5000)
  .action(async (options) => {
    const report = await runBench(client(options), {
      runId: `bench-${randomBytes(4).toString('hex')}`,
      marketCount: options.markets,
      tickCount: options.ticks,
      startMs: Date.now(),
      batchTicksMax: options.batchTicks,
      concurrencyMax: options.concurrency,
      alertWaitMsMax: options.alertWaitMs,
    });
    process.stdout.write(`${formatBenchReport(report)}\n`);
  });

await program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`gswarm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
