/**
 * GET /v2/export: every market and tick as of a tx (or an instant), streamed market by market, as
 * NDJSON (`{"market": {...}}` lines, then that market's ticks) or CSV (ticks only, with a header:
 * re-ingest with `gswarm ingest --create-markets`; market names travel in NDJSON only).
 * Re-ingesting an export into an empty store answers as the source did as of the export's basis,
 * which the `x-gswarm-basis-tx` and `x-gswarm-basis-instant` headers name.
 */
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requestBasis, type TxOrInstant } from '../basis.js';
import type { LocalStore } from '../store.js';
import { ErrorBody, type Tick, TxOrInstant as TxOrInstantSchema } from '../wire.js';

const exportFormats = { ndjson: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' } as const;
type ExportFormat = keyof typeof exportFormats;

const csvColumns = ['id', 'market', 'price', 'volume', 'ts'] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvTickLine = (tick: Tick) => `${csvColumns.map((c) => csvField(tick[c])).join(',')}\n`;

export const exportRoutes: FastifyPluginAsync<{ store: LocalStore; now: () => number }> = async (
  app,
  { store, now },
) => {
  app.get<{ Querystring: { as_of?: TxOrInstant; format: ExportFormat } }>(
    '/v2/export',
    {
      schema: {
        summary: 'Every market and tick as of a tx, as NDJSON or CSV, streamed',
        querystring: Type.Object(
          {
            as_of: Type.Optional(TxOrInstantSchema),
            format: Type.Union([Type.Literal('ndjson'), Type.Literal('csv')], { default: 'ndjson' }),
          },
          { additionalProperties: false },
        ),
        response: { '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { as_of, format } = request.query;
      const basis = await requestBasis(store, as_of, now());
      const view = store.conn.asOf(basis.tx);
      const markets: { id: string; name?: string }[] = [];
      view.match(undefined, view.attributeNamed('market/id'), undefined, (e, _a, id) => {
        const name = view.pull(e, ['market/name'])?.['market/name'] as string | undefined;
        markets.push(name === undefined ? { id: id as string } : { id: id as string, name });
      });
      markets.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
      // One market's ticks at a time, so memory holds one market, not the store.
      async function* lines() {
        if (format === 'csv') yield `${csvColumns.join(',')}\n`;
        for (const market of markets) {
          const ticks = store.ticks(market.id, { asOf: basis.tx });
          if (format === 'csv') yield ticks.map(csvTickLine).join('');
          else yield [{ market }, ...ticks].map((row) => `${JSON.stringify(row)}\n`).join('');
        }
      }
      reply.header('x-gswarm-basis-tx', String(basis.fields.basis_tx));
      if (basis.fields.basis_instant) reply.header('x-gswarm-basis-instant', basis.fields.basis_instant);
      return reply.type(exportFormats[format]).send(Readable.from(lines()));
    },
  );
};
