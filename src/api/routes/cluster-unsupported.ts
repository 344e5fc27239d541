/**
 * The routes a cluster node does not answer yet (they read one database directly): each is
 * refused with GSW_ERR_CLUSTER_UNSUPPORTED naming it, rather than a 404 that reads like a typo.
 */
import type { FastifyPluginAsync } from 'fastify';
import { fail } from '../../errors.js';
import { ErrorBody } from '../wire.js';

const routes = [
  ['GET', '/v2/timeline'],
  ['POST', '/v2/query/explain'],
  ['GET', '/v2/export'],
] as const;

export const clusterUnsupportedRoutes: FastifyPluginAsync = async (app) => {
  for (const [method, url] of routes) {
    app.route({
      method,
      url,
      schema: { summary: 'Not answered by a cluster node yet', response: { 501: ErrorBody } },
      handler: async () =>
        fail(
          'GSW_ERR_CLUSTER_UNSUPPORTED',
          `${method} ${url} is answered by an embedded store only, not yet by a cluster node`,
        ),
    });
  }
};
