/**
 * The one catalogue of Gswarm's operating errors. Each code has an HTTP status and a one-line
 * meaning; docs/errors.md documents every code (a test keeps the two in step). A broken internal
 * invariant is not an operating error: it throws through `assert` (src/db/assert.ts) instead.
 */
export const errorCatalogue = {
  // Transactions (src/db)
  GSW_ERR_TX_MALFORMED: { status: 400, meaning: 'transaction data is not of an accepted shape' },
  GSW_ERR_UNKNOWN_ATTRIBUTE: { status: 400, meaning: 'an attribute is not declared in the schema' },
  GSW_ERR_VALUE_TYPE: { status: 400, meaning: "a value does not fit its attribute's type" },
  GSW_ERR_UNKNOWN_ENTITY: { status: 400, meaning: 'an entity id or lookup ref names no entity' },
  GSW_ERR_DANGLING_REF: { status: 400, meaning: 'a ref points to an entity that does not exist' },
  GSW_ERR_UNIQUE_CONFLICT: { status: 409, meaning: 'a unique value already belongs to another entity' },
  GSW_ERR_WRITE_ONCE_CONFLICT: { status: 409, meaning: 'a write-once attribute already has another value' },
  GSW_ERR_CARDINALITY: { status: 400, meaning: 'several values for a cardinality-one attribute in one tx' },
  GSW_ERR_SCHEMA: { status: 400, meaning: 'a schema change is invalid' },
  GSW_ERR_TX_TOO_LARGE: { status: 413, meaning: 'a transaction exceeds the datom limit' },
  // Reads (src/db)
  GSW_ERR_TX_IN_FUTURE: { status: 400, meaning: 'the requested tx is later than the basis' },
  GSW_ERR_GONE: {
    status: 410,
    meaning: 'a read as of a tx before the retention horizon: the datoms it needs were pruned',
  },
  GSW_ERR_BAD_INDEX: { status: 400, meaning: 'an index name or its components are invalid' },
  GSW_ERR_BAD_PULL: { status: 400, meaning: 'a pull pattern is malformed' },
  GSW_ERR_QUERY: { status: 400, meaning: 'a Datalog query is malformed or cannot be evaluated' },
  GSW_ERR_QUERY_ROWS: { status: 422, meaning: 'a query built a relation larger than queryRowsMax rows' },
  GSW_ERR_QUERY_TIMEOUT: { status: 503, meaning: 'a query ran longer than queryMsMax and was ended' },
  // Storage (src/log, src/store)
  GSW_ERR_FENCED: { status: 409, meaning: 'the log moved under this writer; it may not append' },
  GSW_ERR_STORE_FAILED: { status: 503, meaning: 'a disk write failed; reopen to recover from the log' },
  GSW_ERR_CLOSED: { status: 503, meaning: 'the database is closed' },
  GSW_ERR_ENTRY_TOO_LARGE: { status: 413, meaning: 'a log entry exceeds entryBytesMax' },
  GSW_ERR_LOG_CORRUPT: { status: 500, meaning: 'the log is damaged; gswarm verify says where' },
  GSW_ERR_LOG_UNAVAILABLE: {
    status: 503,
    meaning: "the shard's log did not confirm an append in time; it may or may not have landed",
  },
  GSW_ERR_NATS_UNREACHABLE: {
    status: 503,
    meaning: 'no NATS server could be reached, or the connection was refused (TLS, credentials)',
  },
  GSW_ERR_CLUSTER_MISMATCH: {
    status: 409,
    meaning: "a node's options contradict the cluster's recorded metadata (its shard count)",
  },
  GSW_ERR_NOT_LEADER: {
    status: 503,
    meaning: 'this node does not lead the shard (a failover or handoff); retry',
  },
  GSW_ERR_CLUSTER_UNSUPPORTED: {
    status: 501,
    meaning: 'a node of a sharded cluster does not answer this request (yet); an embedded store does',
  },
  GSW_ERR_LOCKED: { status: 409, meaning: 'the data directory is open in another process' },
  GSW_ERR_INVARIANT: {
    status: 500,
    meaning: 'an internal invariant broke while applying a tx; restart to recover from the log',
  },
  GSW_ERR_CHECKPOINT: {
    status: 500,
    meaning: 'a checkpoint is unreadable; it is ignored and the log replayed',
  },
  // Sketches (src/market/sketches)
  GSW_ERR_SKETCH: {
    status: 400,
    meaning: 'sketch bytes are malformed, or sketches of different parameters are merged',
  },
  // HTTP (src/api)
  GSW_ERR_BAD_REQUEST: {
    status: 400,
    meaning: 'a path, query or header parameter is not of an accepted shape',
  },
  GSW_ERR_BAD_INSTANT: {
    status: 400,
    meaning: 'an instant given for a tx is not an ISO-8601 date, time and zone',
  },
  GSW_ERR_INSTANT_IN_FUTURE: {
    status: 400,
    meaning: "an instant given for a tx is later than the server's clock",
  },
  GSW_ERR_MALFORMED_BODY: {
    status: 400,
    meaning: 'a body is not well-formed JSON, NDJSON or compressed data, or nests too deeply',
  },
  GSW_ERR_INVALID_ROWS: { status: 400, meaning: 'rows of an ingest batch break the tick or market schema' },
  GSW_ERR_UNAUTHORIZED: { status: 401, meaning: 'the bearer token is missing or wrong' },
  GSW_ERR_BODY_TIMEOUT: { status: 408, meaning: 'a body did not arrive whole within bodyTimeoutMs' },
  GSW_ERR_NOT_FOUND: { status: 404, meaning: 'no route or resource has this name' },
  GSW_ERR_BODY_TOO_LARGE: {
    status: 413,
    meaning: 'a body exceeds its compressed or decompressed size limit, or its row limit',
  },
  GSW_ERR_UNSUPPORTED_MEDIA: { status: 415, meaning: 'a content type or content encoding is not accepted' },
  GSW_ERR_OVERLOADED: {
    status: 503,
    meaning: 'the store is behind, or a limit on concurrent work is reached; retry after Retry-After',
  },
  GSW_ERR_SHUTTING_DOWN: { status: 503, meaning: 'the server is draining and accepts no new work' },
  GSW_ERR_INTERNAL: { status: 500, meaning: 'an unexpected failure; the log names it' },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

/** An operating error: bad input, a conflict, a closed or failed store. Never a bug. */
export class GswarmError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'GswarmError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.data = data;
  }
}

/** Throws a coded operating error. */
export function fail(code: ErrorCode, message: string, data: Record<string, unknown> = {}): never {
  throw new GswarmError(code, message, data);
}
