/**
 * The typed client of a Gswarm server. Every call retries on 503 (after the server's Retry-After)
 * and on network errors, with jittered exponential backoff: ingest is idempotent by tick id, and
 * every other call is a read or a create-or-replace, so a repeat is always safe.
 */
import type { IncomingMessage } from 'node:http';
import { gzipSync } from 'node:zlib';
import { compress } from 'zstd-napi';
import type { TxOrInstant } from '../api/basis.js';
import type {
  Alert,
  AsOfResponse,
  CandlesResponse,
  ClusterResponse,
  CountResponse,
  DistinctResponse,
  ErrorBody,
  HotResponse,
  IngestResult,
  Market,
  Reflex,
  StatusResponse,
  Tick,
} from '../api/wire.js';

/** An event-time window [from, to) in epoch ms, read as of a tx. */
export interface SketchWindow {
  from?: number;
  to?: number;
  asOf?: TxOrInstant;
}

import { TickBatcher, type TickBatcherOptions } from './batcher.js';
import { GswarmHttpError } from './errors.js';
import { type BackoffPolicy, backoffMs, retryAfterMs, sleep } from './retry.js';
import { SseParser } from './sse.js';
import { baseUrl, GswarmConnectionError, readText, send } from './transport.js';

export type BodyEncoding = 'zstd' | 'gzip' | 'none';

export interface ClientOptions extends Partial<BackoffPolicy> {
  /** The server's base URL, e.g. http://127.0.0.1:7420. */
  url: string;
  token?: string;
  /** PEM certificate(s) of a private CA to trust for https, instead of the system's. */
  ca?: string | Buffer;
  /**
   * Retries of a 503 (the server pushing back, with Retry-After), apart from `retriesMax`, which
   * bounds retries after network failures. Default: `retriesMax`; Infinity waits as long as the
   * server asks.
   */
  overloadRetriesMax?: number;
  /** How ingest bodies are compressed. */
  encoding?: BodyEncoding;
  /** One attempt's limit; a timed-out attempt is retried. */
  requestTimeoutMs?: number;
}

export interface IngestBatch {
  markets?: Market[];
  ticks?: Tick[];
}

export interface AlertStreamOptions {
  /**
   * Resume after this event id: an id the stream sent (for an embedded server an alert's seq, for
   * a cluster one seq per shard joined by '.'); 0 replays every stored alert.
   */
  lastEventId?: number | string;
  signal?: AbortSignal;
  /** Called each time the stream is (re)connected. */
  onOpen?: () => void;
}

interface RequestOptions {
  body?: Buffer | string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const encoders: Record<BodyEncoding, (json: string) => Buffer | string> = {
  zstd: (json) => compress(Buffer.from(json)),
  gzip: (json) => gzipSync(json),
  none: (json) => json,
};

export class GswarmClient {
  private readonly baseUrl: string;
  private readonly ca: string | Buffer | undefined;
  private readonly overloadRetriesMax: number;
  private readonly policy: BackoffPolicy;
  private readonly encoding: BodyEncoding;
  private readonly requestTimeoutMs: number;
  private readonly authHeaders: Record<string, string>;

  constructor(options: ClientOptions) {
    this.baseUrl = baseUrl(options.url).href.replace(/\/+$/, '');
    this.ca = options.ca;
    this.policy = {
      retriesMax: options.retriesMax ?? 8,
      backoffMsBase: options.backoffMsBase ?? 25,
      backoffMsMax: options.backoffMsMax ?? 2000,
    };
    this.overloadRetriesMax = options.overloadRetriesMax ?? this.policy.retriesMax;
    this.encoding = options.encoding ?? 'zstd';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.authHeaders = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  }

  /** Stores a batch atomically; resolves once it is durable. */
  ingest(batch: IngestBatch, signal?: AbortSignal): Promise<IngestResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.encoding !== 'none') headers['content-encoding'] = this.encoding;
    const body = encoders[this.encoding](JSON.stringify(batch));
    return this.request('POST', '/v2/ingest', { body, headers, signal });
  }

  /** Groups ticks into batches sent concurrently; see TickBatcher. */
  batcher(options?: Partial<TickBatcherOptions>): TickBatcher {
    return new TickBatcher((batch) => this.ingest(batch), options);
  }

  /** The latest tick per market as of a tx, or an ISO-8601 instant (the last tx at or before it). */
  asOf(tx: TxOrInstant, options: { markets?: string[] } = {}): Promise<AsOfResponse> {
    return this.request(
      'GET',
      `/v2/query/as_of/${encodeURIComponent(tx)}${search({ market: options.markets })}`,
    );
  }

  count(attr: string, options: { asOf?: TxOrInstant } = {}): Promise<CountResponse> {
    return this.request('GET', `/v2/count/${encodeURIComponent(attr)}${search({ as_of: options.asOf })}`);
  }

  /** Distinct values of a tick attribute in an event-time window (HyperLogLog, with its error). */
  distinct(attr: string, options: SketchWindow = {}): Promise<DistinctResponse> {
    const { from, to, asOf } = options;
    return this.request('GET', `/v2/sketches/distinct${search({ attr, from, to, as_of: asOf })}`);
  }

  /** The k hottest markets by ticks or volume in an event-time window (Count-Min, with its error bound). */
  hot(by: 'ticks' | 'volume', options: SketchWindow & { k?: number } = {}): Promise<HotResponse> {
    const { k, from, to, asOf } = options;
    return this.request('GET', `/v2/sketches/hot${search({ by, k, from, to, as_of: asOf })}`);
  }

  async query(query: unknown, options: { args?: unknown[]; asOf?: TxOrInstant } = {}): Promise<unknown> {
    const body = JSON.stringify({ query, args: options.args, as_of: options.asOf });
    const { result } = await this.request<{ result: unknown }>('POST', '/v2/query', json(body));
    return result;
  }

  async ticks(
    market: string,
    options: { from?: number; to?: number; asOf?: TxOrInstant; limit?: number } = {},
  ): Promise<Tick[]> {
    const { from, to, asOf, limit } = options;
    const path = `/v2/markets/${encodeURIComponent(market)}/ticks${search({ from, to, as_of: asOf, limit })}`;
    return (await this.request<{ ticks: Tick[] }>('GET', path)).ticks;
  }

  /** A market's OHLCV candles by event time, as of a tx or an instant. */
  candles(
    market: string,
    options: { interval: string; from?: number; to?: number; asOf?: TxOrInstant },
  ): Promise<CandlesResponse> {
    const { interval, from, to, asOf } = options;
    const query = search({ interval, from, to, as_of: asOf });
    return this.request('GET', `/v2/markets/${encodeURIComponent(market)}/candles${query}`);
  }

  /** Creates the reflex, or replaces the one with its id. */
  putReflex(reflex: Reflex): Promise<{ tx: number }> {
    return this.request('POST', '/v2/reflexes', json(JSON.stringify(reflex)));
  }

  async reflexes(): Promise<Reflex[]> {
    return (await this.request<{ reflexes: Reflex[] }>('GET', '/v2/reflexes')).reflexes;
  }

  deleteReflex(id: string): Promise<{ tx: number }> {
    return this.request('DELETE', `/v2/reflexes/${encodeURIComponent(id)}`);
  }

  async alerts(options: { sinceTx?: TxOrInstant; afterSeq?: number } = {}): Promise<Alert[]> {
    const path = `/v2/alerts${search({ since_tx: options.sinceTx, after_seq: options.afterSeq })}`;
    return (await this.request<{ alerts: Alert[] }>('GET', path)).alerts;
  }

  status(): Promise<StatusResponse> {
    return this.request('GET', '/v2/status');
  }

  /** The cluster as the node at this URL sees it (a cluster node only). */
  cluster(): Promise<ClusterResponse> {
    return this.request('GET', '/v2/cluster');
  }

  /**
   * Alerts as they fire, following the SSE stream; after a dropped connection it reconnects with
   * Last-Event-ID, so no alert is missed or repeated, also across a server restart once it has
   * connected (a first connection that is refused fails at once). Ends when the signal aborts.
   */
  async *alertStream(options: AlertStreamOptions = {}): AsyncGenerator<Alert> {
    let lastEventId = options.lastEventId;
    let opened = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const headers: Record<string, string> = { ...this.authHeaders, accept: 'text/event-stream' };
        if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
        const signal = options.signal ?? new AbortController().signal;
        const answer = await this.send('GET', '/v2/alerts/stream', { headers, signal });
        if (answer.statusCode !== 200) await this.refuse(answer, attempt);
        else {
          opened = true;
          options.onOpen?.();
          answer.setEncoding('utf8');
          // A chunk's events are taken at once: one hand-over per event through a second
          // generator would add to the wait of a burst's last alert.
          const parser = new SseParser();
          for await (const chunk of answer as AsyncIterable<string>) {
            for (const event of parser.push(chunk)) {
              const alert = JSON.parse(event.data) as Alert;
              lastEventId = event.id ?? alert.seq;
              attempt = 0;
              yield alert;
            }
          }
        }
      } catch (error) {
        if (options.signal?.aborted) return;
        // Once the stream has been open, a refused connection is a server restarting: wait for it.
        const restarting = opened && (error as { code?: unknown }).code === 'ECONNREFUSED';
        if (!isTransient(error) && !isCutShort(error) && !restarting) throw error;
      }
      await sleep(backoffMs(this.policy, attempt), options.signal).catch(() => undefined);
      if (options.signal?.aborted) return;
    }
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    for (let failures = 0, overloads = 0; ; ) {
      const signal = AbortSignal.any([
        AbortSignal.timeout(this.requestTimeoutMs),
        ...(options.signal ? [options.signal] : []),
      ]);
      try {
        const answer = await this.send(method, path, { ...options, signal });
        const status = answer.statusCode ?? 0;
        if (status >= 200 && status < 300) return JSON.parse(await readText(answer)) as T;
        await this.refuse(answer, overloads++);
      } catch (error) {
        const failure = options.signal?.aborted ? error : this.connectionError(error, path, signal);
        if (options.signal?.aborted || failures >= this.policy.retriesMax || !isTransient(failure))
          throw failure;
        await sleep(backoffMs(this.policy, failures++), options.signal);
      }
    }
  }

  /** A failure while sending or reading an answer, as a GswarmConnectionError (answers stay as they are). */
  private connectionError(error: unknown, path: string, signal: AbortSignal): unknown {
    if (error instanceof GswarmHttpError || error instanceof GswarmConnectionError) return error;
    const code = signal.aborted ? 'TIMEOUT' : ((error as { code?: string } | null)?.code ?? 'ECONNRESET');
    return new GswarmConnectionError(`${this.baseUrl}${path}`, code, error);
  }

  private send(method: string, path: string, options: RequestOptions & { signal: AbortSignal }) {
    return send(new URL(`${this.baseUrl}${path}`), {
      method,
      headers: { ...this.authHeaders, ...options.headers },
      body: options.body,
      signal: options.signal,
      ca: this.ca,
    });
  }

  /**
   * Handles an error answer: waits out a 503 (while overload retries remain) so the caller tries
   * again, and throws anything else as a GswarmHttpError.
   */
  private async refuse(answer: IncomingMessage, attempt: number): Promise<void> {
    const body = errorBody(answer, await readText(answer));
    const status = answer.statusCode ?? 0;
    if (status !== 503 || attempt >= this.overloadRetriesMax) throw new GswarmHttpError(status, body);
    // The server's Retry-After says when (a little jitter spreads the clients); else back off.
    const header = answer.headers['retry-after'];
    const waitMs = retryAfterMs(typeof header === 'string' ? header : null);
    await sleep(waitMs === undefined ? backoffMs(this.policy, attempt) : waitMs + backoffMs(this.policy, 0));
  }
}

function errorBody(answer: IncomingMessage, text: string): ErrorBody {
  try {
    return JSON.parse(text) as ErrorBody;
  } catch {
    return { error: text || answer.statusMessage || 'no reason given', code: 'GSW_ERR_HTTP' };
  }
}

/** Network failures and timeouts are worth a retry; a refused connection or a bad certificate is not. */
function isTransient(error: unknown): boolean {
  return error instanceof GswarmConnectionError && error.transient;
}

/** A stream cut off mid-body (the server went away): resumable. */
function isCutShort(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error)?.message === 'aborted'
  );
}

function json(body: string): RequestOptions {
  return { body, headers: { 'content-type': 'application/json' } };
}

/** A query string from the defined parameters; arrays repeat their key. */
function search(parameters: Record<string, string | number | string[] | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}
