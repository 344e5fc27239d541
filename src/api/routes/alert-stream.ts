/**
 * GET /v2/alerts/stream: Server-Sent Events, one event per alert with `id:` set to the alert's
 * sequence number. A client that reconnects with Last-Event-ID first gets the stored alerts after
 * that sequence number, then live ones, with no gap: it subscribes before it reads the store and
 * skips any sequence number it has already sent.
 */
import type { ServerResponse } from 'node:http';
import { setImmediate } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { fail } from '../../errors.js';
import type { ApiMetrics } from '../metrics.js';
import type { Store, StoreAlert } from '../store.js';
import { ErrorBody } from '../wire.js';
import { alertsPageMax, alertToWire } from './reflexes.js';

export interface AlertStreamOptions {
  store: Store;
  metrics: ApiMetrics;
  sseQueuedAlertsMax: number;
  sseHeartbeatMs: number;
  now: () => number;
}

const eventIdPattern = /^\d{1,15}$/;

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
      if (lastEventId !== undefined && !eventIdPattern.test(lastEventId)) {
        fail('GSW_ERR_BAD_REQUEST', 'Last-Event-ID must be an alert sequence number');
      }
      reply.hijack();
      const feed = new AlertFeed(reply.raw, options);
      open.add(feed);
      reply.raw.once('close', () => feed.close());
      try {
        await feed.run(lastEventId === undefined ? undefined : Number(lastEventId));
      } finally {
        open.delete(feed);
      }
    },
  );
};

class AlertFeed {
  private readonly live: StoreAlert[] = [];
  private lastSentSeq = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Set while the socket holds more than it should and the feed waits for it to drain. */
  private draining = false;
  private wake: (() => void) | undefined;
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly response: ServerResponse,
    private readonly options: AlertStreamOptions,
  ) {}

  async run(afterSeq: number | undefined): Promise<void> {
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
    const heartbeat = setInterval(() => this.response.write(': ping\n\n'), sseHeartbeatMs);
    heartbeat.unref();
    try {
      // Stored alerts in pages, yielding between them, so a resume from far back neither holds
      // every alert in memory nor blocks the loop.
      for (let after = afterSeq; after !== undefined && !this.closed; ) {
        const page = store.alerts({ afterSeq: after, limit: alertsPageMax });
        await this.send(page, false);
        after = page.length < alertsPageMax ? undefined : page.at(-1)!.seq;
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
      if (alert.seq <= this.lastSentSeq) continue;
      this.lastSentSeq = alert.seq;
      chunk += `id: ${alert.seq}\ndata: ${JSON.stringify(alertToWire(alert))}\n\n`;
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
