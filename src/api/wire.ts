/**
 * The HTTP API's wire shapes, as TypeBox schemas: the one source of truth for validation (compiled
 * once at startup), for the OpenAPI description and, as static types, for the client.
 * Multi-word keys are snake_case on the wire.
 */
import { type Static, Type } from '@sinclair/typebox';

/** Ids are bounded so one row cannot carry megabytes of key. */
export const idLengthMax = 256;
export const marketNameLengthMax = 1024;

const Id = Type.String({ minLength: 1, maxLength: idLengthMax });
const Amount = Type.Number({ minimum: 0, description: 'finite and non-negative' });

export const Tick = Type.Object(
  {
    id: Id,
    market: Id,
    price: Amount,
    volume: Amount,
    ts: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'event time, epoch ms' }),
  },
  { additionalProperties: false },
);
export type Tick = Static<typeof Tick>;

export const Market = Type.Object(
  { id: Id, name: Type.Optional(Type.String({ maxLength: marketNameLengthMax })) },
  { additionalProperties: false },
);
export type Market = Static<typeof Market>;

/** One NDJSON line that declares a market rather than a tick. */
export const MarketLine = Type.Object({ market: Market }, { additionalProperties: false });

/** The envelope of a JSON ingest body; its rows are validated one by one to report each bad row. */
export const IngestEnvelope = Type.Object(
  { markets: Type.Optional(Type.Array(Type.Unknown())), ticks: Type.Optional(Type.Array(Type.Unknown())) },
  { additionalProperties: false },
);

/** The documented ingest body (JSON form); NDJSON carries the same rows one per line. */
export const IngestBody = Type.Union([
  Type.Object(
    { markets: Type.Optional(Type.Array(Market)), ticks: Type.Optional(Type.Array(Tick)) },
    { additionalProperties: false },
  ),
  Type.Array(Tick),
]);
export type IngestBody = { markets?: Market[]; ticks?: Tick[] } | Tick[];

export const IngestResult = Type.Object({
  tx: Type.Integer(),
  accepted: Type.Integer({ description: 'ticks newly stored' }),
  duplicates: Type.Integer({ description: 'ticks already stored with the same content' }),
});
export type IngestResult = Static<typeof IngestResult>;

export const RowError = Type.Object({
  index: Type.Integer({
    description: "the row's position in its list (JSON: ticks or markets; NDJSON: the 0-based line)",
  }),
  field: Type.String({
    description: 'the field: `price` in a tick, `markets.id` in a market; empty for a whole tick',
  }),
  message: Type.String(),
  line: Type.Optional(Type.Integer({ description: 'NDJSON: the 1-based line number' })),
});
export type RowError = Static<typeof RowError>;

export const ErrorBody = Type.Object(
  {
    error: Type.String(),
    code: Type.String({ description: 'a GSW_ERR_* code' }),
    rows: Type.Optional(Type.Array(RowError)),
    ids: Type.Optional(Type.Array(Type.String())),
    line: Type.Optional(Type.Integer()),
    column: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true },
);
export type ErrorBody = Static<typeof ErrorBody>;

export const Tx = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const LatestTick = Type.Object({
  price: Type.Number(),
  volume: Type.Number(),
  ts: Type.Integer(),
  tick: Type.String(),
  tx: Type.Integer(),
});

export const AsOfResponse = Type.Object({
  basis_tx: Type.Integer(),
  counts: Type.Object({ 'tick/id': Type.Integer(), 'market/id': Type.Integer() }),
  markets: Type.Record(Type.String(), LatestTick),
});
export type AsOfResponse = Static<typeof AsOfResponse>;

export const CountResponse = Type.Object({ count: Type.Integer(), basis_tx: Type.Integer() });
export type CountResponse = Static<typeof CountResponse>;

export const QueryRequest = Type.Object(
  {
    query: Type.Unknown({ description: 'a Datalog query' }),
    args: Type.Optional(Type.Array(Type.Unknown())),
    as_of: Type.Optional(Tx),
  },
  { additionalProperties: false },
);
export type QueryRequest = Static<typeof QueryRequest>;

export const QueryResponse = Type.Object({ result: Type.Unknown() });

export const TicksResponse = Type.Object({ ticks: Type.Array(Tick) });
export type TicksResponse = Static<typeof TicksResponse>;

export const Reflex = Type.Object(
  {
    id: Id,
    market: Id,
    attr: Type.Optional(Type.Union([Type.Literal('tick/price'), Type.Literal('tick/volume')])),
    above: Type.Optional(Type.Number()),
    below: Type.Optional(Type.Number()),
    cooldown_ms: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type Reflex = Static<typeof Reflex>;

export const ReflexesResponse = Type.Object({ reflexes: Type.Array(Reflex) });
export const TxResponse = Type.Object({ tx: Type.Integer() });

export const Alert = Type.Object({
  seq: Type.Integer({ description: 'the alert sequence number; also the SSE event id' }),
  reflex: Type.String(),
  market: Type.String(),
  tick: Type.String(),
  value: Type.Number(),
  tx: Type.Integer(),
  durable_at_ms: Type.Number({ description: 'when the tx became durable, epoch ms' }),
});
export type Alert = Static<typeof Alert>;

export const AlertsResponse = Type.Object({ alerts: Type.Array(Alert) });

export const StatusResponse = Type.Object({
  node_id: Type.String(),
  role: Type.Literal('leader'),
  basis_tx: Type.Integer(),
  uptime_s: Type.Number(),
  ingest_ticks_per_s: Type.Number({ description: 'ticks accepted per second over the recent window' }),
});
export type StatusResponse = Static<typeof StatusResponse>;
