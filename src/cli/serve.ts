/**
 * `gswarm serve`: opens the persistent store and serves the HTTP API until SIGTERM or SIGINT, then
 * drains: no new requests, in-flight batches finish and are acknowledged, the store closes, exit 0.
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
  metricsPublic: boolean;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: string;
  limits: Partial<ServerLimits>;
}

export async function serve(options: ServeOptions): Promise<void> {
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
    metricsPublic: options.metricsPublic,
    tls,
    logger,
    limits: options.limits,
    storeBytes: () => store.storeBytes(),
  });
  const url = await app.listen({ host: options.host, port: options.port });
  logger.info({ url, data: options.data, auth: options.token !== undefined }, 'listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'draining');
    await app.close();
    await store.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}
