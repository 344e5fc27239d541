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
    description: "the row's position in its list (JSON: ticks or markets; NDJSON and CSV: the 0-based line)",
  }),
  field: Type.String({
    description: 'the field: `price` in a tick, `markets.id` in a market; empty for a whole tick',
  }),
  message: Type.String(),
  line: Type.Optional(Type.Integer({ description: 'NDJSON and CSV: the 1-based line number' })),
  column: Type.Optional(Type.Integer({ description: 'CSV: the 1-based column of the bad field' })),
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

/** Where a tx is read as of: a tx id, or an ISO-8601 instant meaning the last tx at or before it. */
export const TxOrInstant = Type.Union([
  Tx,
  Type.String({
    pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T',
    maxLength: 64,
    description: 'an ISO-8601 instant with a zone, e.g. 2026-11-30T10:00:00Z',
  }),
]);

/** The basis a read was answered at: its tx and, once there is one, the instant it committed. */
const basis = {
  basis_tx: Type.Integer(),
  basis_instant: Type.Optional(Type.String({ description: "the basis tx's commit instant, ISO-8601" })),
};

export const LatestTick = Type.Object({
  price: Type.Number(),
  volume: Type.Number(),
  ts: Type.Integer(),
  tick: Type.String(),
  tx: Type.Integer(),
});

export type LatestTick = Static<typeof LatestTick>;

export const AsOfResponse = Type.Object({
  ...basis,
  counts: Type.Object({ 'tick/id': Type.Integer(), 'market/id': Type.Integer() }),
  markets: Type.Record(Type.String(), LatestTick),
});
export type AsOfResponse = Static<typeof AsOfResponse>;

export const TimelineResponse = Type.Object({
  first_tx: Type.Integer(),
  first_instant: Type.Optional(Type.String()),
  ...basis,
});

export type TimelineResponse = Static<typeof TimelineResponse>;

export const CountResponse = Type.Object({ count: Type.Integer(), ...basis });
export type CountResponse = Static<typeof CountResponse>;

/** The event-time window a sketch answer covers, and its basis. */
const sketchWindow = {
  from: Type.Union([Type.Integer(), Type.Null()], { description: 'the window covered; null: unbounded' }),
  to: Type.Union([Type.Integer(), Type.Null()]),
  basis_tx: Type.Integer({ description: 'only ticks committed by this tx are counted' }),
};

export const DistinctResponse = Type.Object({
  attr: Type.String(),
  estimate: Type.Integer(),
  relative_standard_error: Type.Number({ description: '1.04 / sqrt(2^precision)' }),
  standard_error: Type.Number({ description: 'relative_standard_error × estimate' }),
  ...sketchWindow,
});

export const HotResponse = Type.Object({
  by: Type.String(),
  markets: Type.Array(Type.Object({ market: Type.String(), estimate: Type.Number() }), {
    description: 'estimates descending; each is at least the truth',
  }),
  total: Type.Number({ description: "N: the window's ticks or volume" }),
  epsilon: Type.Number(),
  delta: Type.Number(),
  error_bound: Type.Number({
    description: 'ε·N: an estimate exceeds the truth by more than this with probability at most delta',
  }),
  ...sketchWindow,
});

export type DistinctResponse = Static<typeof DistinctResponse>;
export type HotResponse = Static<typeof HotResponse>;

export const QueryRequest = Type.Object(
  {
    query: Type.Unknown({ description: 'a Datalog query' }),
    args: Type.Optional(Type.Array(Type.Unknown())),
    as_of: Type.Optional(TxOrInstant),
    sources: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object({ as_of: Type.Optional(TxOrInstant) }, { additionalProperties: false }),
        {
          maxProperties: 16,
          description:
            'named sources of the query (declared in its in), each the database as of its own tx (default: now): {"$then": {"as_of": 5}, "$now": {}}',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type QueryRequest = Static<typeof QueryRequest>;

export const QueryResponse = Type.Object({ result: Type.Unknown(), ...basis });
export const ExplainResponse = Type.Object({
  plan: Type.Unknown({ description: 'the steps in order' }),
  ...basis,
});

export const TicksResponse = Type.Object({ ticks: Type.Array(Tick), ...basis });

export const Candle = Type.Object({
  start: Type.Integer({ description: "the bucket's first event time, epoch ms" }),
  open: Type.Number(),
  high: Type.Number(),
  low: Type.Number(),
  close: Type.Number(),
  volume: Type.Number(),
  ticks: Type.Integer(),
});
export type Candle = Static<typeof Candle>;
export const CandlesResponse = Type.Object({ candles: Type.Array(Candle), ...basis });
export type CandlesResponse = Static<typeof CandlesResponse>;
export type TicksResponse = Static<typeof TicksResponse>;

const band = (description: string) =>
  Type.Object(
    { low: Type.Number(), high: Type.Number({ description: 'above low' }) },
    { additionalProperties: false, description },
  );

/** Exactly one of above, below, enters and leaves: the reflex's intent (src/market/reflex-rules.ts). */
export const Reflex = Type.Object(
  {
    id: Id,
    market: Id,
    attr: Type.Optional(Type.Union([Type.Literal('tick/price'), Type.Literal('tick/volume')])),
    above: Type.Optional(Type.Number({ description: 'fires as the value rises above this' })),
    below: Type.Optional(Type.Number({ description: 'fires as the value falls below this' })),
    enters: Type.Optional(band('fires as the value moves into (low, high)')),
    leaves: Type.Optional(band('fires as the value breaks out of [low, high]: above high or below low')),
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
  durable_at_ms: Type.Number({
    description:
      "the instant of the tx that stored the alert (the store's clock), epoch ms; the same live and stored",
  }),
});
export type Alert = Static<typeof Alert>;

export const AlertsResponse = Type.Object({ alerts: Type.Array(Alert) });

const ShardRole = Type.Union(['follower', 'leader', 'stopping', 'handingOff'].map((r) => Type.Literal(r)));

export const ClusterResponse = Type.Object({
  node: Type.String(),
  shards: Type.Array(
    Type.Object({
      shard: Type.Integer(),
      leader: Type.Union([Type.String(), Type.Null()]),
      epoch: Type.Integer(),
      role: ShardRole,
      last_seq: Type.Integer({ description: "the shard stream's last sequence as far as this node knows" }),
      applied_seq: Type.Integer({ description: "the last sequence this node's replica has applied" }),
    }),
  ),
  nodes: Type.Array(
    Type.Object({
      node: Type.String(),
      url: Type.Union([Type.String(), Type.Null()]),
      alive: Type.Boolean(),
    }),
  ),
});

export type ClusterResponse = Static<typeof ClusterResponse>;

export const StatusResponse = Type.Object({
  node_id: Type.String(),
  role: Type.Union([Type.Literal('leader'), Type.Literal('follower')], {
    description: 'leader when the node leads at least one shard (an embedded store leads its one shard)',
  }),
  shards: Type.Optional(
    Type.Array(
      Type.Object({
        shard: Type.Integer(),
        role: ShardRole,
        leader: Type.Union([Type.String(), Type.Null()]),
      }),
      {
        description: "a cluster node's role per shard",
      },
    ),
  ),
  basis_tx: Type.Integer(),
  uptime_s: Type.Number(),
  ingest_ticks_per_s: Type.Number({ description: 'ticks accepted per second over the recent window' }),
});
export type StatusResponse = Static<typeof StatusResponse>;
