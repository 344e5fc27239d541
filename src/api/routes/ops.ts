/** Operations: liveness, readiness, Prometheus metrics and the node's status. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { fail } from '../../errors.js';
import type { IngestRate } from '../ingest-rate.js';
import type { ApiMetrics } from '../metrics.js';
import type { Store } from '../store.js';
import { ClusterResponse, ErrorBody, StatusResponse } from '../wire.js';

export interface OpsRouteOptions {
  store: Store;
  metrics: ApiMetrics;
  rate: IngestRate;
  nodeId: string;
  startedMs: number;
  now: () => number;
  /** True once the server has begun to drain. */
  draining: () => boolean;
  /** Whether /metrics is answered without the bearer token. */
  metricsPublic: boolean;
}

const Ok = Type.Object({ status: Type.String() });

export const opsRoutes: FastifyPluginAsync<OpsRouteOptions> = async (app, options) => {
  const { store, metrics, rate, nodeId, startedMs, now, draining, metricsPublic } = options;

  app.get(
    '/healthz',
    { config: { public: true }, schema: { summary: 'The process is up', response: { 200: Ok } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: { summary: 'The store is open and accepting writes', response: { 200: Ok, 503: ErrorBody } },
    },
    async () => {
      if (draining()) fail('GSW_ERR_SHUTTING_DOWN', 'the server is draining');
      if (!store.accepting) fail('GSW_ERR_STORE_FAILED', 'the store is closed or failed; restart to recover');
      const behind = store.cluster?.().shards.filter((s) => s.applied_seq < s.last_seq || s.leader === null);
      if (behind !== undefined && behind.length > 0)
        fail(
          'GSW_ERR_NOT_LEADER',
          `shards [${behind.map((s) => s.shard).join(', ')}] have no leader yet or are not caught up here`,
          {
            shards: behind.map((s) => s.shard),
          },
        );
      return { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    { config: { public: metricsPublic }, schema: { summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );

  app.get(
    '/v2/status',
    {
      schema: {
        summary: "The node's identity, role, basis tx, uptime and ingest rate",
        response: { 200: StatusResponse },
      },
    },
    async () => {
      const nowMs = now();
      const shards = store.cluster?.().shards.map(({ shard, role, leader }) => ({ shard, role, leader }));
      return {
        node_id: nodeId,
        role:
          shards === undefined || shards.some((s) => s.role === 'leader')
            ? ('leader' as const)
            : ('follower' as const),
        ...(shards === undefined ? {} : { shards }),
        basis_tx: store.timeline().basisTx,
        uptime_s: (nowMs - startedMs) / 1000,
        ingest_ticks_per_s: rate.perSecond(nowMs),
      };
    },
  );

  if (store.cluster !== undefined) {
    const cluster = store.cluster.bind(store);
    app.get(
      '/v2/cluster',
      {
        schema: {
          summary:
            "The cluster as this node sees it: each shard's leader, epoch and positions, and the nodes",
          response: { 200: ClusterResponse },
        },
      },
      async () => cluster(),
    );
  }
};
