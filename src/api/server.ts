/**
 * The HTTP server: a Fastify app with one plugin per feature. Route schemas are TypeBox, compiled
 * when the app is made ready, before the first request. The caller owns the store: it opens it
 * before and closes it after the server (`app.close()` drains in-flight requests first).
 */
import { hostname } from 'node:os';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import { fail } from '../errors.js';
import { IngestAdmission } from './admission.js';
import { markRoutesPublic, requireToken } from './auth.js';
import { BodyPool } from './body/body-pool.js';
import { clientErrorReply, errorReply, installErrorReplies } from './error-reply.js';
import { IngestRate } from './ingest-rate.js';
import { ApiMetrics } from './metrics.js';
import { describeOperations } from './openapi.js';
import { defaultLimits, defaultParseWorkers, type ServerOptions } from './options.js';
import { alertStreamRoutes } from './routes/alert-stream.js';
import { candleRoutes } from './routes/candles.js';
import { clusterUnsupportedRoutes } from './routes/cluster-unsupported.js';
import { builtConsoleDir, consoleRoutes } from './routes/console.js';
import { exportRoutes } from './routes/export.js';
import { ingestRoutes } from './routes/ingest.js';
import { lineProtocolRoutes } from './routes/line-protocol.js';
import { opsRoutes } from './routes/ops.js';
import { queryRoutes } from './routes/queries.js';
import { reflexRoutes } from './routes/reflexes.js';
import { sketchRoutes } from './routes/sketches.js';
import { timelineRoutes } from './routes/timeline.js';
import { isLocal } from './store.js';
import { schemaErrorFormatter } from './validation-message.js';
import { idLengthMax } from './wire.js';

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { store, token } = options;
  const limits = { ...defaultLimits, ...options.limits };
  const now = options.now ?? Date.now;
  const app = Fastify({
    ...(options.tls === undefined ? {} : { https: options.tls }),
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: limits.jsonBodyBytesMax,
    // Room for an id of idLengthMax code units, each up to 9 characters percent-encoded.
    routerOptions: { maxParamLength: idLengthMax * 9 },
    clientErrorHandler: clientErrorReply,
    // A path the router cannot take (bad percent-encoding, a parameter too long) is answered
    // before any hook runs; it reaches no handler, and gets the one error shape.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const { status, body } = errorReply(error);
      reply.code(status).send(body);
    },
    // Draining is answered by the hook below, in the one error shape.
    return503OnClosing: false,
    // One log line per request would cost more than an ingest batch; errors are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    schemaErrorFormatter,
  }) as unknown as FastifyInstance;

  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (draining) {
      reply.header('retry-after', String(limits.retryAfterS)).header('connection', 'close');
      fail('GSW_ERR_SHUTTING_DOWN', 'the server is draining');
    }
  });
  if (token !== undefined) requireToken(app, token);
  installErrorReplies(app);
  // JSON routes take JSON only: a text/plain body is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.addHook('preHandler', async (request) => {
    refuseNonFinite('querystring', request.query);
    refuseNonFinite('params', request.params);
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Gswarm', version: '2', description: 'A time-travel fact database for market ticks' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  describeOperations(app, { bearer: token !== undefined });
  // The API description holds no data, and browsers cannot send a bearer token to it.
  await app.register(async (docs) => {
    markRoutesPublic(docs);
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });

  const admission = new IngestAdmission(store, limits);
  const parsers = new BodyPool(options.parseWorkers ?? defaultParseWorkers);
  app.addHook('onClose', () => parsers.close());
  const metrics = new ApiMetrics(store, () => admission.reading + admission.inFlight, options.storeBytes);
  const rate = new IngestRate();
  const ingestOptions = { store, admission, parsers, metrics, rate, limits, now };
  await app.register(ingestRoutes, ingestOptions);
  await app.register(lineProtocolRoutes, ingestOptions);
  await app.register(queryRoutes, {
    store,
    ticksLimitMax: limits.ticksLimitMax,
    queryLimits: { queryMsMax: limits.queryMsMax, queryRowsMax: limits.queryRowsMax },
    now,
  });
  await app.register(candleRoutes, { store, now });
  await app.register(reflexRoutes, { store, now });
  await app.register(sketchRoutes, { store, now });
  if (isLocal(store)) {
    await app.register(timelineRoutes, { store, now });
    await app.register(exportRoutes, { store, now });
  } else {
    await app.register(clusterUnsupportedRoutes);
  }
  await app.register(consoleRoutes, { consoleDir: options.consoleDir ?? builtConsoleDir });
  await app.register(alertStreamRoutes, { store, metrics, now, ...limits });
  await app.register(opsRoutes, {
    store,
    metrics,
    rate,
    nodeId: options.nodeId ?? `${hostname()}:${process.pid}`,
    startedMs: now(),
    now,
    draining: () => draining,
    metricsPublic: options.metricsPublic ?? false,
  });
  await app.ready();
  return app;
}

/**
 * Ajv coerces `1e400` to Infinity and then skips the integer's bounds, so a parameter such as
 * `limit=1e400` would pass `maximum`; any non-finite number after validation is refused here.
 */
function refuseNonFinite(where: string, values: unknown): void {
  for (const [name, value] of Object.entries(values ?? {})) {
    if (typeof value === 'number' && !Number.isFinite(value))
      fail('GSW_ERR_BAD_REQUEST', `${where}/${name} must be a finite number`, { field: `${where}/${name}` });
  }
}
