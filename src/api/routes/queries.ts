/** Reads: the latest tick per market as of a tx, counts, Datalog queries and a market's ticks. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Query, QueryLimits } from '../../db/query/index.js';
import { fail } from '../../errors.js';
import { requestBasis, type TxOrInstant } from '../basis.js';
import type { Store } from '../store.js';
import {
  AsOfResponse,
  CountResponse,
  ErrorBody,
  idLengthMax,
  QueryRequest,
  QueryResponse,
  TicksResponse,
  TxOrInstant as TxOrInstantSchema,
} from '../wire.js';

export interface QueryRouteOptions {
  store: Store;
  ticksLimitMax: number;
  queryLimits: QueryLimits;
  now: () => number;
}

const errors = { '4xx': ErrorBody, '5xx': ErrorBody };
const sourceName = /^\$[A-Za-z0-9_-]{0,63}$/;
const AsOf = Type.Object({ as_of: Type.Optional(TxOrInstantSchema) }, { additionalProperties: false });

export const queryRoutes: FastifyPluginAsync<QueryRouteOptions> = async (app, options) => {
  const { store, ticksLimitMax, queryLimits, now } = options;
  const basisOf = (given: TxOrInstant | undefined) => requestBasis(store, given, now());

  app.get<{ Params: { tx: TxOrInstant }; Querystring: { market?: string[] } }>(
    '/v2/query/as_of/:tx',
    {
      schema: {
        summary: 'The latest tick of each market and the counts, as of a tx',
        params: Type.Object({ tx: TxOrInstantSchema }),
        querystring: Type.Object(
          { market: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: idLengthMax }))) },
          { additionalProperties: false },
        ),
        response: { 200: AsOfResponse, ...errors },
      },
    },
    async (request) => {
      const basis = await basisOf(request.params.tx);
      const { counts, markets } = store.latest({ asOf: basis.tx, markets: request.query.market });
      return { ...basis.fields, counts, markets };
    },
  );

  app.get<{ Params: { attr: string }; Querystring: { as_of?: TxOrInstant } }>(
    '/v2/count/:attr',
    {
      schema: {
        summary: 'How many entities have an attribute, as of a tx (attr URL-encoded: tick%2Fid)',
        params: Type.Object({ attr: Type.String({ minLength: 1, maxLength: idLengthMax }) }),
        querystring: AsOf,
        response: { 200: CountResponse, ...errors },
      },
    },
    async (request) => {
      const basis = await basisOf(request.query.as_of);
      const { count } = store.count(request.params.attr, basis.tx);
      return { count, ...basis.fields };
    },
  );

  app.post<{ Body: QueryRequest }>(
    '/v2/query',
    {
      schema: {
        summary: 'Run a Datalog query, optionally as of a tx, over named sources as of their own txs',
        body: QueryRequest,
        response: { 200: QueryResponse, ...errors },
      },
    },
    async (request) => {
      const { query, args, as_of, sources = {} } = request.body;
      const bad = Object.keys(sources).find((name) => !sourceName.test(name));
      if (bad !== undefined)
        fail(
          'GSW_ERR_BAD_REQUEST',
          `body/sources: ${JSON.stringify(bad)} is not a source name ($ then letters, digits, _ or -)`,
        );
      const named = Object.fromEntries(
        await Promise.all(
          Object.entries(sources).map(async ([name, s]) => [name, { asOf: (await basisOf(s.as_of)).tx }]),
        ),
      );
      const basis = await basisOf(as_of);
      return {
        result: store.query(query as Query | string, args ?? [], basis.tx, {
          ...queryLimits,
          sources: named,
        }),
        ...basis.fields,
      };
    },
  );

  app.get<{
    Params: { id: string };
    Querystring: { from?: number; to?: number; as_of?: TxOrInstant; limit: number };
  }>(
    '/v2/markets/:id/ticks',
    {
      schema: {
        summary: "A market's ticks in event-time order, optionally within [from, to) and as of a tx",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: idLengthMax }) }),
        querystring: Type.Object(
          {
            from: Type.Optional(Type.Integer({ description: 'event time, epoch ms, inclusive' })),
            to: Type.Optional(Type.Integer({ description: 'event time, epoch ms, exclusive' })),
            as_of: Type.Optional(TxOrInstantSchema),
            limit: Type.Integer({
              minimum: 1,
              maximum: ticksLimitMax,
              default: Math.min(1000, ticksLimitMax),
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: TicksResponse, ...errors },
      },
    },
    async (request) => {
      const { from, to, as_of, limit } = request.query;
      const basis = await basisOf(as_of);
      return { ticks: store.ticks(request.params.id, { from, to, asOf: basis.tx, limit }), ...basis.fields };
    },
  );
};
