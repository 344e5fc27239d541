/** The server's options and its limits, each with its unit last. */
import { availableParallelism } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { defaultQueryLimits } from '../db/query/index.js';
import type { Store } from './store.js';

export interface ServerLimits {
  /** An ingest body as sent, before decompression. */
  bodyBytesMax: number;
  /** An ingest body after decompression. */
  decodedBytesMax: number;
  /** Decompressed ingest bytes held at once by all requests being read, parsed or committed. */
  decodedBytesInFlightMax: number;
  /** Rows (ticks and markets) in one ingest request. */
  batchTicksMax: number;
  /** Time for an ingest body to arrive whole, from its headers; a slower one is answered 408. */
  bodyTimeoutMs: number;
  /** Any other JSON body (queries, reflexes). */
  jsonBodyBytesMax: number;
  /** Bad rows listed in one refusal; the count of all bad rows is given beside them. */
  rowErrorsMax: number;
  /** Mean disk-commit latency over the store's recent window above which ingest is refused. */
  commitLatencyMsMax: number;
  /** Ingest batches in flight (being read, validated or committed) at which new ones are refused. */
  pendingBatchesMax: number;
  /** What a refused client is told to wait. */
  retryAfterS: number;
  /** Ticks one `/ticks` query returns at most. */
  ticksLimitMax: number;
  /** Alerts waiting for a slow SSE client before its stream is closed (it resumes by Last-Event-ID). */
  sseQueuedAlertsMax: number;
  /** Alert streams open at once; one more is refused with 503 and Retry-After. */
  sseStreamsMax: number;
  /** Interval of SSE comment lines that keep idle streams and proxies alive. */
  sseHeartbeatMs: number;
  /** Wall time one `POST /v2/query` may hold the event loop before it is ended (503). */
  queryMsMax: number;
  /** Rows any relation of one `POST /v2/query` may hold before it is ended (422). */
  queryRowsMax: number;
}

export const defaultLimits: ServerLimits = {
  bodyBytesMax: 16 * 1024 * 1024,
  decodedBytesMax: 64 * 1024 * 1024,
  decodedBytesInFlightMax: 256 * 1024 * 1024,
  batchTicksMax: 100_000,
  bodyTimeoutMs: 10_000,
  jsonBodyBytesMax: 1024 * 1024,
  rowErrorsMax: 100,
  commitLatencyMsMax: 10,
  pendingBatchesMax: 64,
  retryAfterS: 1,
  ticksLimitMax: 100_000,
  sseQueuedAlertsMax: 10_000,
  sseStreamsMax: 1_000,
  sseHeartbeatMs: 15_000,
  queryMsMax: defaultQueryLimits.queryMsMax,
  queryRowsMax: defaultQueryLimits.queryRowsMax,
};

/** Parse workers: one per core the event loop leaves free, and at least one. */
export const defaultParseWorkers = Math.max(1, availableParallelism() - 1);

export interface ServerOptions {
  store: Store;
  /**
   * When set, every route requires `Authorization: Bearer <token>` except /healthz, /readyz,
   * /docs and, with `metricsPublic`, /metrics.
   */
  token?: string;
  /** Serve /metrics without the token (for a scraper on a trusted network). */
  metricsPublic?: boolean;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** A pino logger, or false for none. */
  logger?: FastifyBaseLogger | false;
  nodeId?: string;
  /** The store's size on disk, for /metrics. */
  storeBytes?: () => number;
  limits?: Partial<ServerLimits>;
  /**
   * Worker threads that decode, parse and validate ingest bodies (default: one per core beyond
   * the first, at least one); 0 parses on the event loop.
   */
  parseWorkers?: number;
  /** The built console's assets (default: dist/console of this package). */
  consoleDir?: string;
  /** The wall clock in epoch ms; an input so tests can drive it. */
  now?: () => number;
}
