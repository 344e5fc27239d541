/**
 * GET /v2/alerts/stream: Server-Sent Events, one event per alert. Its `id:` is the stream's
 * cursor: per shard, the sequence number of the last alert sent (one number for an embedded
 * store, `s0.s1.s2…` for a cluster's shards), since shards' alerts interleave in no fixed order. A
 * client that reconnects with Last-Event-ID first gets the stored alerts after that cursor, then
 * live ones, with no gap and no repeat, at any node: it subscribes before it reads the store and
 * skips any alert at or below the cursor of its shard.
 */
import type { ServerResponse } from 'node:http';
import { setImmediate } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { shardOfEntity } from '../../db/ids.js';
import { fail } from '../../errors.js';
import type { ApiMetrics } from '../metrics.js';
import type { Store, StoreAlert } from '../store.js';
import { ErrorBody } from '../wire.js';
import { alertsPageMax, alertToWire } from './reflexes.js';

export interface AlertStreamOptions {
  store: Store;
  metrics: ApiMetrics;
  sseQueuedAlertsMax: number;
  sseStreamsMax: number;
  sseHeartbeatMs: number;
  retryAfterS: number;
  now: () => number;
}

const eventIdPattern = /^\d{1,16}(\.\d{1,16}){0,1023}$/;

export const alertStreamRoutes: FastifyPluginAsync<AlertStreamOptions> = async (app, options) => {
  const open = new Set<AlertFeed>();
  app.addHook('preClose', async () => {
    for (const feed of open) feed.close();
  });

  app.get<{ Querystring: { last_event_id?: string } }>(
    '/v2/alerts/stream',
    {
      schema: {
        summary: 'Alerts as Server-Sent Events; Last-Event-ID (or ?last_event_id=) resumes without gaps',
        querystring: Type.Object(
          { last_event_id: Type.Optional(Type.String({ description: 'like the Last-Event-ID header' })) },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'One event per alert: `id:` its sequence number, `data:` the alert as JSON',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          '4xx': ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const header = request.headers['last-event-id'];
      const lastEventId = (Array.isArray(header) ? header[0] : header) ?? request.query.last_event_id;
      const shards = options.store.alertCursor().length;
      // 0 is "from the first alert" whatever the shard count.
      const cursor =
        lastEventId === '0' ? new Array<number>(shards).fill(0) : lastEventId?.split('.').map(Number);
      if (lastEventId !== undefined && (!eventIdPattern.test(lastEventId) || cursor!.length !== shards)) {
        fail(
          'GSW_ERR_BAD_REQUEST',
          `Last-Event-ID must be an event id of this stream: ${shards === 1 ? 'an alert sequence number' : `${shards} sequence numbers joined by '.'`}`,
        );
      }
      if (open.size >= options.sseStreamsMax) {
        reply.header('retry-after', String(options.retryAfterS));
        fail(
          'GSW_ERR_OVERLOADED',
          `${open.size} alert streams are open, the most this server serves (sseStreamsMax)`,
          {
            reason: 'sse_streams',
            sseStreamsMax: options.sseStreamsMax,
          },
        );
      }
      reply.hijack();
      const feed = new AlertFeed(reply.raw, options);
      open.add(feed);
      reply.raw.once('close', () => feed.close());
      try {
        await feed.run(cursor);
      } finally {
        open.delete(feed);
      }
    },
  );
};

class AlertFeed {
  private readonly live: StoreAlert[] = [];
  /** Per shard, the seq of the last alert sent (or skipped as sent before). */
  private sent: number[] = [];
  private closed = false;
  /** Set while the socket holds more than it should and the feed waits for it to drain. */
  private draining = false;
  private wake: (() => void) | undefined;
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly response: ServerResponse,
    private readonly options: AlertStreamOptions,
  ) {}

  async run(resumeAfter: number[] | undefined): Promise<void> {
    const { store, sseHeartbeatMs, sseQueuedAlertsMax } = this.options;
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.response.write(': alerts\n\n');
    this.unsubscribe = store.onAlert((alert) => {
      this.live.push(alert);
      // A client that is not reading (its socket full) while this many alerts wait is dropped
      // rather than buffered without bound; it resumes by Last-Event-ID. A burst to a client that
      // keeps up is taken whole, however large.
      if (this.draining && this.live.length > sseQueuedAlertsMax) this.drop();
      this.wake?.();
    });
    // Read after subscribing, in the same turn: every alert after this cursor reaches the feed.
    this.sent = resumeAfter ?? store.alertCursor();
    const heartbeat = setInterval(() => this.response.write(': ping\n\n'), sseHeartbeatMs);
    heartbeat.unref();
    try {
      // Stored alerts in pages, yielding between them, so a resume from far back neither holds
      // every alert in memory nor blocks the loop.
      for (let more = resumeAfter !== undefined; more && !this.closed; ) {
        const page = store.alertsAfter(this.sent, alertsPageMax);
        await this.send(page, false);
        more = page.length === alertsPageMax;
        await setImmediate();
      }
      while (!this.closed) {
        if (this.live.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
        await this.send(this.live.splice(0), true);
      }
    } finally {
      clearInterval(heartbeat);
      this.unsubscribe();
      this.response.end();
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.wake?.();
  }

  /** Closes a stuck client at once: what its socket holds cannot be delivered anyway. */
  private drop(): void {
    this.close();
    this.live.length = 0;
    this.response.destroy();
  }

  /**
   * Writes alerts in chunks of about `sseChunkBytes` (a burst goes out in few writes rather than
   * one per alert) and waits for the socket to drain whenever it holds more than
   * `sseBufferedBytesMax`, so a burst costs bounded memory per client.
   */
  private async send(alerts: readonly StoreAlert[], live: boolean): Promise<void> {
    let chunk = '';
    for (const alert of alerts) {
      if (this.closed) return;
      const shard = shardOfEntity(alert.seq);
      if (alert.seq <= this.sent[shard]!) continue;
      this.sent[shard] = alert.seq;
      chunk += `id: ${this.sent.join('.')}\ndata: ${JSON.stringify(alertToWire(alert))}\n\n`;
      if (chunk.length >= sseChunkBytes) {
        await this.write(chunk);
        chunk = '';
      }
    }
    if (chunk !== '' && !this.closed) await this.write(chunk);
    if (live) {
      const now = this.options.now();
      for (const alert of alerts) this.options.metrics.alertLatency.observe((now - alert.durableAtMs) / 1000);
    }
  }

  private async write(chunk: string): Promise<void> {
    this.response.write(chunk);
    if (this.response.writableLength <= sseBufferedBytesMax) return;
    this.draining = true;
    if (this.live.length > this.options.sseQueuedAlertsMax) this.drop();
    else await drainedOrClosed(this.response);
    this.draining = false;
  }
}

/** Bytes of SSE text written to the socket at once. */
const sseChunkBytes = 64 * 1024;
/** Bytes an SSE socket may hold unsent before the feed waits for it to drain. */
const sseBufferedBytesMax = 1 << 20;

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
