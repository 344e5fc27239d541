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
 */
import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { buildServer, type ServerLimits } from '../api/index.js';
import { storage } from '../index.js';
import { Swarm } from '../market/swarm.js';

export interface ServeOptions {
  data: string;
  host: string;
  port: number;
  token?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: string;
  limits: Partial<ServerLimits>;
}

/** A running server: its URL, its store, and the exit code it resolves with once stopped. */
export interface ServeHandle {
  url: string;
  store: Swarm;
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
  const store = await Swarm.open({ storage: storage.persistent(options.data) });
  const app = await buildServer({
    store,
    token: options.token,
    tls,
    logger,
    limits: options.limits,
    storeBytes: () => store.storeBytes(),
  });
  const url = await app.listen({ host: options.host, port: options.port });
  logger.info({ url, data: options.data, auth: options.token !== undefined }, 'listening');
  if (store.conn.checkpointError) {
    logger.warn(
      { err: store.conn.checkpointError },
      'checkpoint not written; the next start replays the log',
    );
  }

  let stopping: Promise<number> | undefined;
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
    return code;
  };
  const stop = (reason: Record<string, unknown>, code: number) => {
    if (stopping) return;
    logger.info(reason, 'draining');
    stopping = drain(code);
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
  store.conn.onFault((fault) => {
    if (fault.kind === 'checkpoint-failed') {
      logger.warn(
        { err: fault.error },
        'checkpoint not written; the log holds everything, the next start replays it',
      );
      return;
    }
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
