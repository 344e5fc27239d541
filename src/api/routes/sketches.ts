/**
 * Sketch reads: distinct markets and the hottest markets (by ticks or volume) in an event-time
 * window, as of a tx, each answer stating its error bound (src/market/sketches).
 */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { distinctAttrs } from '../../market/sketches/sketches.js';
import { requestBasis, type TxOrInstant } from '../basis.js';
import type { Store } from '../store.js';
import { DistinctResponse, ErrorBody, HotResponse, TxOrInstant as TxOrInstantSchema } from '../wire.js';

export interface SketchRouteOptions {
  store: Store;
  now: () => number;
}

const errors = { '4xx': ErrorBody };
const hotBys = ['ticks', 'volume'] as const;

/** A string from `values` (the first by default), refused with the values named. */
function oneOf<T extends string>(values: readonly T[], description: string) {
  return Type.Unsafe<T>({ type: 'string', enum: values, default: values[0], description });
}

const windowParameters = {
  from: Type.Optional(
    Type.Integer({ description: 'event time, epoch ms, inclusive (rounded down to a bucket)' }),
  ),
  to: Type.Optional(
    Type.Integer({ description: 'event time, epoch ms, exclusive (rounded up to a bucket)' }),
  ),
  as_of: Type.Optional(TxOrInstantSchema),
};

const DistinctQuery = Type.Object(
  {
    attr: oneOf(distinctAttrs, 'the tick attribute whose distinct values are counted'),
    ...windowParameters,
  },
  { additionalProperties: false },
);

export const sketchRoutes: FastifyPluginAsync<SketchRouteOptions> = async (app, { store, now }) => {
  const txOf = async (given: TxOrInstant | undefined) =>
    given === undefined ? undefined : (await requestBasis(store, given, now())).tx;
  const HotQuery = Type.Object(
    {
      by: oneOf(hotBys, 'rank markets by tick count or by volume'),
      k: Type.Integer({ minimum: 1, maximum: store.sketches.topKMax, default: 10 }),
      ...windowParameters,
    },
    { additionalProperties: false },
  );

  app.get<{ Querystring: Static<typeof DistinctQuery> }>(
    '/v2/sketches/distinct',
    {
      schema: {
        summary: 'Distinct values (HyperLogLog) in an event-time window, as of a tx',
        querystring: DistinctQuery,
        response: { 200: DistinctResponse, ...errors },
      },
    },
    async (request) => {
      const { attr, from, to, as_of } = request.query;
      const answer = await store.sketches.distinct(attr, { from, to, asOf: await txOf(as_of) });
      return {
        attr: answer.attr,
        estimate: answer.estimate,
        relative_standard_error: answer.relativeStandardError,
        standard_error: answer.standardError,
        from: answer.from,
        to: answer.to,
        basis_tx: answer.basisTx,
      };
    },
  );

  app.get<{ Querystring: Static<typeof HotQuery> }>(
    '/v2/sketches/hot',
    {
      schema: {
        summary:
          'The hottest markets by ticks or volume (Count-Min, top-k) in an event-time window, as of a tx',
        querystring: HotQuery,
        response: { 200: HotResponse, ...errors },
      },
    },
    async (request) => {
      const { by, k, from, to, as_of } = request.query;
      const answer = await store.sketches.hot(by, k, { from, to, asOf: await txOf(as_of) });
      return {
        by: answer.by,
        markets: answer.markets,
        total: answer.total,
        epsilon: answer.epsilon,
        delta: answer.delta,
        error_bound: answer.errorBound,
        from: answer.from,
        to: answer.to,
        basis_tx: answer.basisTx,
      };
    },
  );
};
