/** GET /v2/markets/:id/candles: OHLCV by event time, as of a tx or an instant. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { type CandleInterval, candleIntervalsMs } from '../../market/candles.js';
import { requestBasis, type TxOrInstant } from '../basis.js';
import type { Store } from '../store.js';
import { CandlesResponse, ErrorBody, idLengthMax, TxOrInstant as TxOrInstantSchema } from '../wire.js';

export interface CandleRouteOptions {
  store: Store;
  now: () => number;
}

const Interval = Type.Union(
  Object.keys(candleIntervalsMs).map((name) => Type.Literal(name)),
  { description: 'the bucket width' },
);

export const candleRoutes: FastifyPluginAsync<CandleRouteOptions> = async (app, { store, now }) => {
  app.get<{
    Params: { id: string };
    Querystring: { interval: CandleInterval; from?: number; to?: number; as_of?: TxOrInstant };
  }>(
    '/v2/markets/:id/candles',
    {
      schema: {
        summary: "A market's OHLCV candles by event time (open/close by tick ts, ties by tx), as of a tx",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: idLengthMax }) }),
        querystring: Type.Object(
          {
            interval: Interval,
            from: Type.Optional(Type.Integer({ description: 'event time, epoch ms, inclusive' })),
            to: Type.Optional(Type.Integer({ description: 'event time, epoch ms, exclusive' })),
            as_of: Type.Optional(TxOrInstantSchema),
          },
          { additionalProperties: false },
        ),
        response: { 200: CandlesResponse, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { interval, from, to, as_of } = request.query;
      const basis = await requestBasis(store, as_of, now());
      const candles = store.candles(request.params.id, candleIntervalsMs[interval], {
        from,
        to,
        asOf: basis.tx,
      });
      return { candles, ...basis.fields };
    },
  );
};
