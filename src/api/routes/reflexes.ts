/** Reflexes (price or volume bands per market) and the alerts they fired. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { fail } from '../../errors.js';
import { requestBasis, type TxOrInstant } from '../basis.js';
import type { Store, StoreAlert, StoreReflex } from '../store.js';
import {
  type Alert,
  AlertsResponse,
  ErrorBody,
  idLengthMax,
  Reflex,
  ReflexesResponse,
  TxOrInstant as TxOrInstantSchema,
  TxResponse,
} from '../wire.js';

export function alertToWire(alert: StoreAlert): Alert {
  const { seq, reflex, market, tick, value, tx, durableAtMs } = alert;
  return { seq, reflex, market, tick, value, tx, durable_at_ms: durableAtMs };
}

function reflexToWire({ cooldownMs, ...rest }: StoreReflex): Reflex {
  return cooldownMs === undefined ? rest : { ...rest, cooldown_ms: cooldownMs };
}

function reflexFromWire({ cooldown_ms, ...rest }: Reflex): StoreReflex {
  return cooldown_ms === undefined ? rest : { ...rest, cooldownMs: cooldown_ms };
}

const errors = { '4xx': ErrorBody };

/** Alerts one `GET /v2/alerts` page holds at most. */
export const alertsPageMax = 10_000;

export const reflexRoutes: FastifyPluginAsync<{ store: Store; now: () => number }> = async (
  app,
  { store, now },
) => {
  app.post<{ Body: Reflex }>(
    '/v2/reflexes',
    {
      schema: {
        summary: 'Create a reflex, or replace the one with the same id',
        body: Reflex,
        response: { 200: TxResponse, 201: TxResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { tx, created } = await store.putReflex(reflexFromWire(request.body));
      return reply.code(created ? 201 : 200).send({ tx });
    },
  );

  app.get(
    '/v2/reflexes',
    { schema: { summary: 'Every reflex', response: { 200: ReflexesResponse, ...errors } } },
    async () => ({ reflexes: store.reflexes().map(reflexToWire) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/v2/reflexes/:id',
    {
      schema: {
        summary: 'Delete a reflex',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: idLengthMax }) }),
        response: { 200: TxResponse, ...errors },
      },
    },
    async (request) => {
      const deleted = await store.deleteReflex(request.params.id);
      return deleted ?? fail('GSW_ERR_NOT_FOUND', `no reflex '${request.params.id}'`);
    },
  );

  app.get<{ Querystring: { since_tx?: TxOrInstant; after_seq?: number; limit: number } }>(
    '/v2/alerts',
    {
      schema: {
        summary:
          'Stored alerts in sequence order, optionally after a tx or a sequence number; one page of at ' +
          `most limit (≤ ${alertsPageMax}): the next page is after_seq = the last seq`,
        querystring: Type.Object(
          {
            since_tx: Type.Optional(TxOrInstantSchema),
            after_seq: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
            limit: Type.Integer({ minimum: 1, maximum: alertsPageMax, default: alertsPageMax }),
          },
          { additionalProperties: false },
        ),
        response: { 200: AlertsResponse, ...errors },
      },
    },
    async (request) => {
      const { since_tx, after_seq, limit } = request.query;
      const sinceTx = since_tx === undefined ? undefined : (await requestBasis(store, since_tx, now())).tx;
      return { alerts: store.alerts({ sinceTx, afterSeq: after_seq, limit }).map(alertToWire) };
    },
  );
};
