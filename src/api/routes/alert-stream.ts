/**
 * GET /v2/alerts/stream: Server-Sent Events, one event per alert with `id:` set to the alert's
 * sequence number. A client that reconnects with Last-Event-ID first gets the stored alerts after
 * that sequence number, then live ones, with no gap: it subscribes before it reads the store and
 * skips any sequence number it has already sent.
 */
import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { fail } from '../../errors.js';
import type { ApiMetrics } from '../metrics.js';
import type { Store, StoreAlert } from '../store.js';
import { ErrorBody } from '../wire.js';
import { alertToWire } from './reflexes.js';

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
        response: { '4xx': ErrorBody },
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
  private wake: (() => void) | undefined;

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
    const unsubscribe = store.onAlert((alert) => {
      this.live.push(alert);
      // A client this far behind is dropped rather than buffered without bound; it resumes.
      if (this.live.length > sseQueuedAlertsMax) this.close();
      this.wake?.();
    });
    const heartbeat = setInterval(() => this.response.write(': ping\n\n'), sseHeartbeatMs);
    heartbeat.unref();
    try {
      if (afterSeq !== undefined) {
        for (const alert of store.alerts({ afterSeq })) await this.send(alert, false);
      }
      while (!this.closed) {
        if (this.live.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
        for (const alert of this.live.splice(0)) await this.send(alert, true);
      }
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
      this.response.end();
    }
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private async send(alert: StoreAlert, live: boolean): Promise<void> {
    if (this.closed || alert.seq <= this.lastSentSeq) return;
    this.lastSentSeq = alert.seq;
    const flushed = this.response.write(`id: ${alert.seq}\ndata: ${JSON.stringify(alertToWire(alert))}\n\n`);
    if (live) this.options.metrics.alertLatency.observe((this.options.now() - alert.durableAtMs) / 1000);
    if (!flushed) await drainedOrClosed(this.response);
  }
}

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
