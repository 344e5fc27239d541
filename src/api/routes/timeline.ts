/**
 * GET /v2/timeline: the span of the tx history (first and latest tx, each with its instant), which
 * the console's as-of control ranges over; POST /v2/query/explain: a Datalog query's plan.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Query } from '../../db/query/index.js';
import { basisFields, requestBasis } from '../basis.js';
import type { LocalStore } from '../store.js';
import { ErrorBody, ExplainResponse, QueryRequest, TimelineResponse } from '../wire.js';

export const timelineRoutes: FastifyPluginAsync<{ store: LocalStore; now: () => number }> = async (
  app,
  { store, now },
) => {
  app.get(
    '/v2/timeline',
    {
      schema: {
        summary: 'The first and the latest tx, with their instants',
        response: { 200: TimelineResponse },
      },
    },
    async () => {
      const view = store.conn.view;
      const first = basisFields(view, view.firstTx);
      return {
        first_tx: first.basis_tx,
        first_instant: first.basis_instant,
        ...basisFields(view, view.basisTx),
      };
    },
  );

  app.post<{ Body: QueryRequest }>(
    '/v2/query/explain',
    {
      schema: {
        summary: "A Datalog query's plan: its clauses in the order chosen, with index, join and estimate",
        body: QueryRequest,
        response: { 200: ExplainResponse, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { query, args, as_of } = request.body;
      const basis = await requestBasis(store, as_of, now());
      const plan = store.conn.asOf(basis.tx).explain(query as Query | string, ...(args ?? []));
      return { plan, ...basis.fields };
    },
  );
};
