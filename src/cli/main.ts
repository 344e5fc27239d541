/** The `gswarm` command. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseInstant } from '../api/basis.js';
import { defaultLimits, defaultParseWorkers } from '../api/options.js';
import { GswarmClient } from '../client/index.js';
import { candleIntervalsMs } from '../market/candles.js';
import { tickCsvHelp } from '../market/tick-csv.js';
import { formatBenchReport, runBench } from './bench.js';
import { errorText } from './error-text.js';
import { ingestFiles } from './ingest-files.js';
import { runQuery } from './query.js';
import { parseRetain, parseSummaryWidth } from './retain-option.js';
import { simulate } from './simulate.js';

function integer(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value))
    throw new InvalidArgumentError('expected a non-negative integer');
  return value;
}

function positiveInteger(text: string): number {
  const value = integer(text);
  if (value === 0) throw new InvalidArgumentError('expected an integer of at least 1');
  return value;
}

/** A tx id, or an ISO-8601 instant (checked here, resolved to a tx by the server). */
function txOrInstant(text: string): number | string {
  if (/^\d+$/.test(text)) return integer(text);
  try {
    parseInstant(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return text;
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
      new Option('--ca <file>', "PEM certificate(s) of a private CA to trust for the server's TLS").env(
        'GSWARM_CA',
      ),
    )
    .addOption(
      new Option('--encoding <name>', 'ingest body encoding')
        .choices(['zstd', 'gzip', 'none'])
        .default('zstd'),
    );
}

interface ClientFlags {
  url: string;
  token?: string;
  ca?: string;
  encoding: 'zstd' | 'gzip' | 'none';
}

/** A client that waits out the server's pushback (503, Retry-After) for as long as it lasts. */
function client({ url, token, ca, encoding }: ClientFlags): GswarmClient {
  return new GswarmClient({
    url,
    token,
    encoding,
    ca: ca === undefined ? undefined : readFileSync(ca),
    overloadRetriesMax: Number.POSITIVE_INFINITY,
  });
}

function batchOptions(command: Command): Command {
  return command
    .option('--batch-ticks <n>', 'ticks per request', positiveInteger, 5000)
    .option('--concurrency <n>', 'requests in flight', positiveInteger, 4);
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
    new Option(
      '--token <token>',
      'require Authorization: Bearer <token> on every route but /healthz, /readyz and /docs',
    ).env('GSWARM_TOKEN'),
  )
  .option('--metrics-public', 'with --token: serve /metrics without the token', false)
  .option('--tls-cert <file>', 'PEM certificate; serve HTTPS with --tls-key')
  .option('--tls-key <file>', 'PEM private key')
  .addOption(
    new Option(
      '--nats <urls>',
      'join a cluster through these NATS servers (comma-separated); without it, embedded',
    )
      .env('GSWARM_NATS')
      .argParser((text: string) =>
        text
          .split(',')
          .map((url) => url.trim())
          .filter((url) => url !== ''),
      ),
  )
  .addOption(new Option('--node <id>', "this node's id in the cluster (with --nats)").env('GSWARM_NODE'))
  .addOption(
    new Option('--shards <n>', 'shard count, fixed when the cluster is created (with --nats)')
      .env('GSWARM_SHARDS')
      .default(1)
      .argParser(integer),
  )
  .addOption(
    new Option('--cluster <name>', "names the cluster's streams and subjects")
      .env('GSWARM_CLUSTER')
      .default('gswarm'),
  )
  .option('--nats-tls-cert <file>', "this node's client certificate for NATS (mutual TLS)")
  .option('--nats-tls-key <file>', 'its private key')
  .option('--nats-ca <file>', "the CA the NATS servers' certificates chain to")
  .addOption(
    new Option(
      '--retain <window>',
      'keep the ticks of this window (7d, 12h, 30m, 90s, or 1000000ticks) and prune older ones; default: keep all',
    )
      .env('GSWARM_RETAIN')
      .argParser(parseRetain),
  )
  .addOption(
    new Option('--retain-summary <interval>', 'width of the candles kept in place of pruned ticks')
      .env('GSWARM_RETAIN_SUMMARY')
      .default(candleIntervalsMs['1h'], '1h')
      .argParser(parseSummaryWidth),
  )
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
  .option(
    '--decoded-bytes-in-flight-max <n>',
    'refuse ingest while all requests together hold this many decompressed bytes',
    integer,
    defaultLimits.decodedBytesInFlightMax,
  )
  .option('--batch-ticks-max <n>', 'rows one ingest request may carry', integer, defaultLimits.batchTicksMax)
  .option(
    '--body-timeout-ms <n>',
    'answer 408 to an ingest body not arrived whole in this time',
    integer,
    defaultLimits.bodyTimeoutMs,
  )
  .addOption(
    new Option(
      '--parse-workers <n>',
      'threads that decode, parse and validate ingest bodies (0: on the event loop)',
    )
      .env('GSWARM_PARSE_WORKERS')
      .default(defaultParseWorkers, 'cores - 1, at least 1')
      .argParser(integer),
  )
  .action(async (options) => {
    const { bodyBytesMax, decodedBytesMax, commitLatencyMsMax, pendingBatchesMax } = options;
    const { decodedBytesInFlightMax, batchTicksMax, bodyTimeoutMs } = options;
    // Loaded here so the client commands never load the store.
    const { serve } = await import('./serve.js');
    const { retain, retainSummary } = options;
    const { stopped } = await serve({
      ...options,
      retention: retain && { ...retain, summaryWidthMs: retainSummary },
      limits: {
        bodyBytesMax,
        decodedBytesMax,
        commitLatencyMsMax,
        pendingBatchesMax,
        decodedBytesInFlightMax,
        batchTicksMax,
        bodyTimeoutMs,
      },
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
      `dropped ${report.droppedRecords} ${report.droppedRecords === 1 ? 'entry' : 'entries'}; the log ends at entry ${report.lastPosition}` +
        `${report.checkpointRemoved ? '; checkpoint removed (the next start replays the log)' : ''}\n`,
    );
  });

batchOptions(clientOptions(program.command('ingest')))
  .description('ingest ticks from JSON, NDJSON or CSV files (optionally .zst)')
  .argument('<files...>', 'files: .json, .ndjson or .jsonl, .csv; any of them may end in .zst')
  .addHelpText(
    'after',
    `\nJSON is an array of ticks or { "markets": [...], "ticks": [...] }; NDJSON is one tick or
{ "market": {...} } per line. A tick is { id, market, price, volume, ts } (ts in epoch ms).
${tickCsvHelp}`,
  )
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
  .option(
    '--as-of <tx|instant>',
    'read as of this tx, or the last tx at or before an ISO-8601 instant',
    txOrInstant,
  )
  .option('--count <attr>', 'count the entities with this attribute')
  .option('--latest', 'the latest tick of each market')
  .option('--market <id>', 'with --latest: only this market (repeatable)', collect)
  .option('--ticks <market>', "a market's ticks in event-time order")
  .option('--distinct <attr>', 'estimated distinct values of a tick attribute (tick/market)')
  .option('--hot <by>', 'estimated hottest markets by ticks or volume')
  .option('--k <n>', 'with --hot: this many markets', positiveInteger)
  .option('--candles <market>', "a market's OHLCV candles by event time")
  .addOption(
    new Option('--interval <width>', 'with --candles: the bucket width')
      .choices(['1s', '1m', '5m', '1h', '1d'])
      .default('1m'),
  )
  .option('--from <ms>', 'with --ticks, --candles, --distinct, --hot: from this event time', integer)
  .option('--to <ms>', 'with --ticks, --candles, --distinct, --hot: up to this event time', integer)
  .option('--limit <n>', 'with --ticks: at most this many', positiveInteger)
  .action(async (datalog: string | undefined, options) => {
    const result = await runQuery(client(options), datalog, options);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  });

clientOptions(program.command('cluster').command('status'))
  .description("print the cluster as the node at --url sees it: each shard's leader and positions, the nodes")
  .option('--json', 'print the JSON of GET /v2/cluster', false)
  .action(async (options) => {
    const { formatClusterStatus } = await import('./cluster-status.js');
    const cluster = await client(options).cluster();
    process.stdout.write(
      options.json ? `${JSON.stringify(cluster, null, 2)}\n` : formatClusterStatus(cluster),
    );
  });

clientOptions(program.command('export'))
  .description('print every market and tick as of a tx or an instant, as NDJSON or CSV')
  .option(
    '--as-of <tx|instant>',
    'export as of this tx, or the last tx at or before an ISO-8601 instant',
    txOrInstant,
  )
  .addOption(new Option('--format <name>', 'output format').choices(['ndjson', 'csv']).default('ndjson'))
  .action(async (options) => {
    const { exportStore } = await import('./export.js');
    await exportStore(process.stdout, options);
  });

program
  .command('backup')
  .description("copy a store consistently while it serves; open the copy with 'serve --data DIR'")
  .argument('<dir>', 'an empty or new directory')
  .addOption(new Option('--data <dir>', 'the data directory to copy').env('GSWARM_DATA').default('./data'))
  .action(async (dir: string, options) => {
    const { backupStore } = await import('./backup.js');
    process.stdout.write(`${JSON.stringify(await backupStore(options.data, dir))}\n`);
  });

batchOptions(clientOptions(program.command('simulate')))
  .description('drive a server with random-walk ticks at a target rate, obeying backpressure')
  .requiredOption('--markets <n>', 'markets (required)', positiveInteger)
  .requiredOption('--rate <n>', 'ticks per second (required)', positiveInteger)
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
  .description(
    'run the founding scenario and report ingest time, count and alert latencies; against a scratch ' +
      'server of its own, removed afterwards, unless --url (or GSWARM_URL) names one',
  )
  .option('--ticks <n>', 'ticks to ingest (at least --markets)', positiveInteger, 10_000)
  .option('--markets <n>', 'markets', positiveInteger, 10)
  .option('--alert-wait-ms <n>', 'how long to wait for the alerts after ingest', integer, 5000)
  .action(async (options, command: Command) => {
    if (options.ticks < options.markets)
      command.error(`error: --ticks (${options.ticks}) must be at least --markets (${options.markets})`);
    const named = command.getOptionValueSource('url') !== 'default';
    const { startScratchServer } = await import('./scratch-server.js');
    const scratch = named ? undefined : await startScratchServer();
    const stage = (line: string) => process.stderr.write(`bench: ${line}\n`);
    stage(scratch ? `scratch server at ${scratch.url}` : `against ${options.url}`);
    try {
      const report = await runBench(client({ ...options, url: scratch?.url ?? options.url }), {
        runId: `bench-${randomBytes(4).toString('hex')}`,
        marketCount: options.markets,
        tickCount: options.ticks,
        startMs: Date.now(),
        batchTicksMax: options.batchTicks,
        concurrencyMax: options.concurrency,
        alertWaitMsMax: options.alertWaitMs,
        stage,
      });
      process.stdout.write(`${formatBenchReport(report)}\n`);
    } finally {
      await scratch?.close();
    }
  });

await program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`gswarm: ${errorText(error)}\n`);
  process.exit(1);
});
