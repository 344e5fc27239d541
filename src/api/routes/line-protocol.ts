/**
 * InfluxDB line protocol at the paths its clients and Telegraf write to: POST /write (v1) and
 * POST /api/v2/write (v2), with `precision`; `db`, `org` and `bucket` are accepted and ignored
 * (Gswarm has one store). Answers 204 once the batch is durable, as InfluxDB does.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { precisionOf } from '../body/line-protocol.js';
import { ErrorBody } from '../wire.js';
import { type IngestRouteOptions, ingestPipeline } from './ingest.js';

const WriteQuery = Type.Object({
  precision: Type.Optional(Type.String({ description: 'ns (default), us, ms or s; v1 also n, u, m, h' })),
  db: Type.Optional(Type.String()),
  rp: Type.Optional(Type.String()),
  org: Type.Optional(Type.String()),
  orgID: Type.Optional(Type.String()),
  bucket: Type.Optional(Type.String()),
  u: Type.Optional(Type.String()),
  p: Type.Optional(Type.String()),
});

export const lineProtocolRoutes: FastifyPluginAsync<IngestRouteOptions> = async (app, options) => {
  // Line protocol arrives as text/plain, or with no content type at all: the handler reads it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  for (const url of ['/write', '/api/v2/write']) {
    app.post<{ Querystring: { precision?: string } }>(
      url,
      {
        schema: {
          summary:
            'Ingest ticks in InfluxDB line protocol (measurement tick, tag market, fields price, volume, id)',
          querystring: WriteQuery,
          response: { 204: Type.Null(), '4xx': ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        await ingestPipeline(options, request, reply, () => {
          const precision = precisionOf(request.query.precision);
          return { format: 'line-protocol', precision, nowMs: options.now() };
        });
        return reply.code(204).send();
      },
    );
  }
};
