/**
 * `gswarm serve`: opens the persistent store and serves the HTTP API until SIGTERM or SIGINT, then
 * drains: no new requests, in-flight batches finish and are acknowledged, the store closes, exit 0.
 *
 * If the store fails (a log write failed, e.g. the disk is full, or an invariant broke) the server
 * logs why, drains the same way (in-flight requests are answered, with 503 for writes) and exits
 * 1, so that a supervisor restarts it: recovery replays the log, which holds every acknowledged
 * tx. It does not wait in place for space to come back: memory may be ahead of the log, and only a
 * reopen makes the two agree again. A checkpoint that cannot be written is logged as a warning
 * and costs only a longer replay at the next start.
 *
 * With `--nats` the node joins a cluster instead (src/cluster): its store is a ClusterSwarm over
 * replicas of every shard, kept with their checkpoints under `<data>/<cluster>.<node>/shard-<s>`,
 * and it starts listening once every shard has a leader and its schema.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { buildServer, type ServerLimits } from '../api/index.js';
import { ClusterSwarm } from '../cluster/cluster-swarm.js';
import { ClusterNode } from '../cluster/node.js';
import { systemClock } from '../db/ids.js';
import { storage } from '../index.js';
import type { RetentionOptions } from '../market/retention.js';
import { marketSchema } from '../market/schema.js';
import { Swarm } from '../market/swarm.js';

/** How long a drain may take before the process exits without finishing it. */
const drainMsMax = 30_000;

export interface ServeOptions {
  data: string;
  host: string;
  port: number;
  token?: string;
  metricsPublic?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: string;
  limits: Partial<ServerLimits>;
  /** Threads that parse ingest bodies (0: on the event loop). */
  parseWorkers?: number;
  /** The retention window; absent: every tick is kept. */
  retention?: RetentionOptions;
  /** NATS servers: join a cluster (with the options below) instead of the embedded store. */
  nats?: string[];
  node?: string;
  shards?: number;
  cluster?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
  natsCa?: string;
}

/** A running server: its URL, its store, and the exit code it resolves with once stopped. */
export interface ServeHandle {
  url: string;
  store: Swarm | ClusterSwarm;
  stopped: Promise<number>;
}

export async function serve(options: ServeOptions): Promise<ServeHandle> {
  const logger = pino({ level: options.logLevel });
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new Error('--tls-cert and --tls-key go together');
  }
  const tls =
    options.tlsCert === undefined || options.tlsKey === undefined
      ? undefined
      : { cert: await readFile(options.tlsCert), key: await readFile(options.tlsKey) };
  const store = options.nats
    ? await joinCluster(options, logger)
    : await Swarm.open({ storage: storage.persistent(options.data) });
  if (options.retention) {
    store.retain(options.retention, systemClock, (err) =>
      logger.warn({ err, code: err.code }, 'prune refused; the pruner tries again in a second'),
    );
  }
  const app = await buildServer({
    store,
    token: options.token,
    metricsPublic: options.metricsPublic,
    tls,
    logger,
    limits: options.limits,
    parseWorkers: options.parseWorkers,
    nodeId: store instanceof ClusterSwarm ? store.node.id : undefined,
    storeBytes: store instanceof Swarm ? () => store.storeBytes() : undefined,
  });
  const url = await app.listen({ host: options.host, port: options.port });
  if (store instanceof ClusterSwarm) store.node.advertise(url);
  logger.info({ url, data: options.data, auth: options.token !== undefined }, 'listening');
  const checkpointFailed = (err: Error) =>
    logger.warn({ err }, 'checkpoint not written; the log holds everything, the next start replays it');
  // A checkpoint after a long replay is tried before anything could listen.
  if (store instanceof Swarm && store.conn.checkpointError) checkpointFailed(store.conn.checkpointError);

  let stopping: Promise<number> | undefined;
  /** The store failed: the exit code is 1 even if a signal started the drain. */
  let failed = false;
  let exitCode!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (exitCode = resolve));
  const drain = async (code: number): Promise<number> => {
    await app.close();
    try {
      await store.close();
    } catch (error) {
      logger.error({ err: error }, 'closing the store failed');
      return 1;
    }
    return failed ? 1 : code;
  };
  const stop = (reason: Record<string, unknown>, code: number) => {
    if (stopping) return;
    logger.info(reason, 'draining');
    // A drain that hangs (a NATS server gone mid-close) must not keep the process: everything
    // acknowledged is already durable, so exiting without a clean close loses nothing.
    const overdue = new Promise<number>((resolve) => {
      setTimeout(() => {
        logger.error({ drainMsMax }, 'the drain did not finish in time; exiting without it');
        resolve(1);
      }, drainMsMax).unref();
    });
    stopping = Promise.race([drain(code), overdue]);
    void stopping.then((final) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info({ exitCode: final }, 'stopped');
      exitCode(final);
    });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    stop({ signal }, 0);
  };
  // A cluster node's replicas reopen themselves from the stream; the embedded store cannot.
  if (store instanceof Swarm)
    store.conn.onFault((fault) => {
      if (fault.kind === 'checkpoint-failed') return checkpointFailed(fault.error);
      failed = true;
      logger.error(
        { err: fault.error, code: fault.error.code },
        'the store failed and refuses writes; exiting so that a restart recovers from the log',
      );
      stop({ failure: fault.error.code }, 1);
    });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { url, store, stopped };
}

/** Joins the cluster named by `options`; resolves once every shard has a leader and its schema. */
async function joinCluster(options: ServeOptions, logger: pino.Logger): Promise<ClusterSwarm> {
  const { natsTlsCert, natsTlsKey, natsCa } = options;
  const tlsFiles = [natsTlsCert, natsTlsKey, natsCa];
  if (tlsFiles.some((f) => f === undefined) && tlsFiles.some((f) => f !== undefined)) {
    throw new Error('--nats-tls-cert, --nats-tls-key and --nats-ca go together');
  }
  if (options.node === undefined) throw new Error("--nats needs --node (or GSWARM_NODE): this node's id");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.node)) {
    throw new Error(
      `--node ${JSON.stringify(options.node)}: a node id is letters, digits, '.', '-' and '_', starting with a letter or digit (it names the node's data directory)`,
    );
  }
  const cluster = options.cluster ?? 'gswarm';
  const node = await ClusterNode.start({
    nats: {
      servers: options.nats ?? [],
      tls:
        natsCa === undefined ? undefined : { certFile: natsTlsCert!, keyFile: natsTlsKey!, caFile: natsCa },
    },
    cluster,
    node: options.node,
    shards: options.shards ?? 1,
    schema: marketSchema,
    data: join(options.data, `${cluster}.${options.node}`),
  });
  logger.info(
    { node: options.node, shards: options.shards, nats: options.nats },
    'joined; waiting for every shard to have a leader',
  );
  return ClusterSwarm.on(node);
}
