/**
 * The OpenAPI description's per-operation parts, filled in as routes are added so no route file
 * repeats them: an operationId and a tag for every operation, and the bearer scheme on each
 * operation behind the token (the /v2 routes, when the server has one). A route may set its own.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

/** Operation ids by `METHOD path`; a route missing here gets one made from its method and path. */
const operationIds: Record<string, string> = {
  'POST /v2/ingest': 'ingest',
  'GET /v2/query/as_of/:tx': 'latestAsOf',
  'GET /v2/count/:attr': 'count',
  'POST /v2/query': 'query',
  'GET /v2/markets/:id/ticks': 'marketTicks',
  'POST /v2/reflexes': 'putReflex',
  'GET /v2/reflexes': 'listReflexes',
  'DELETE /v2/reflexes/:id': 'deleteReflex',
  'GET /v2/alerts': 'listAlerts',
  'GET /v2/alerts/stream': 'streamAlerts',
  'GET /v2/status': 'status',
  'GET /healthz': 'health',
  'GET /readyz': 'ready',
  'GET /metrics': 'metrics',
};

/** Tags by the path's first segment after /v2 (or its only one). */
const tagsBySegment: Record<string, string> = {
  ingest: 'ingest',
  query: 'queries',
  count: 'queries',
  markets: 'queries',
  reflexes: 'reflexes',
  alerts: 'reflexes',
  status: 'operations',
  healthz: 'operations',
  readyz: 'operations',
  metrics: 'operations',
};

/** The routes the bearer token guards (the same test as the server's auth hook). */
export const isTokenGuarded = (url: string): boolean => /^\/v2(?:[/?]|$)/.test(url);

function madeOperationId(method: string, url: string): string {
  const words = url.split(/[/_:.-]+/).filter((word) => word !== '');
  return method.toLowerCase() + words.map((word) => word[0].toUpperCase() + word.slice(1)).join('');
}

export function describeOperations(app: FastifyInstance, options: { bearer: boolean }): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (schema === undefined || schema.hide === true) return;
    const method = Array.isArray(route.method) ? route.method[0] : route.method;
    if (method === 'HEAD') return;
    // Each route gets its own schema object: Fastify may share one between a GET and its HEAD.
    const described: Record<string, unknown> = { ...schema };
    described.operationId ??= operationIds[`${method} ${route.url}`] ?? madeOperationId(method, route.url);
    const segment = route.url.replace(/^\/v2\//, '/').split('/')[1] ?? '';
    described.tags ??= [tagsBySegment[segment] ?? segment];
    described.security ??= options.bearer && isTokenGuarded(route.url) ? [{ bearer: [] }] : [];
    route.schema = described;
  });
}
