/**
 * POST /v2/ingest: read a batch, have a parse worker decode, parse and validate it, then hand it
 * to the store and answer 202 only once it is durable. The body is read by the handler, not by a
 * Fastify parser, so backpressure refuses a batch before any of it is read, and a body that
 * arrives too slowly ends with 408 instead of holding an admission slot.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { fail, GswarmError } from '../../errors.js';
import type { IngestAdmission } from '../admission.js';
import { type BodyParser, type ColumnBatch, placeAt, rowsOf } from '../body/body-job.js';
import type { BodyPool } from '../body/body-pool.js';
import { type BodyLimits, contentEncoding, readWire } from '../body/decode.js';
import type { BodyFormat } from '../body/parse.js';
import type { IngestRate } from '../ingest-rate.js';
import type { ApiMetrics, RejectionReason } from '../metrics.js';
import type { Store } from '../store.js';
import { ErrorBody, IngestBody, IngestResult, type RowError } from '../wire.js';

export interface IngestRouteOptions {
  store: Store;
  admission: IngestAdmission;
  parsers: BodyPool;
  metrics: ApiMetrics;
  rate: IngestRate;
  limits: BodyLimits & {
    rowErrorsMax: number;
    retryAfterS: number;
    batchTicksMax: number;
    bodyTimeoutMs: number;
  };
  now: () => number;
}

const formats: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'text/csv': 'csv',
};

export const ingestRoutes: FastifyPluginAsync<IngestRouteOptions> = async (app, options) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(Object.keys(formats), (_request, _payload, done) => done(null, undefined));

  app.post(
    '/v2/ingest',
    {
      schema: {
        summary: 'Ingest a batch of markets and ticks, atomically',
        description:
          'JSON `{ markets, ticks }`, a JSON array of ticks, or NDJSON (one tick or `{"market": {...}}` per ' +
          'line), or CSV with a header row naming id, market, price, volume and ts. Content-Encoding zstd, gzip or none. Answers once the batch is durable.',
        consumes: Object.keys(formats),
        body: IngestBody,
        response: { 202: IngestResult, '4xx': ErrorBody, 503: ErrorBody },
      },
      // The body is read and validated by the handler, row by row, with the same TypeBox schemas.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const result = await ingestPipeline(options, request, reply, () => {
        const mediaType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        const format = formats[mediaType];
        if (format === undefined)
          fail('GSW_ERR_UNSUPPORTED_MEDIA', `content type '${mediaType}' is not accepted`);
        return { format };
      });
      return reply.code(202).send(result);
    },
  );
};

/**
 * The ingest pipeline behind every ingest route: backpressure, the body under its cap and
 * deadline, a parse worker (decoding, the route's parser, chosen from the request before any body
 * is read, and validation), the store, and the metrics. Resolves once the batch is durable. A
 * batch takes its admission slot only once its body is here, so slow senders cannot hold every
 * slot.
 */
export async function ingestPipeline(
  options: IngestRouteOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  parserFor: () => BodyParser,
): Promise<IngestResult> {
  const { store, admission, parsers, metrics, rate, limits, now } = options;
  const refuseIfOverloaded = () => {
    const reason = admission.refusal();
    if (reason === undefined) return;
    fail('GSW_ERR_OVERLOADED', `ingest is refused while the store catches up (${reason})`, { reason });
  };
  let decodedBytesHeld = 0;
  try {
    // Before the body is read: an overloaded server reads nothing.
    refuseIfOverloaded();
    const parser = parserFor();
    const encoding = contentEncoding(request.headers['content-encoding']);
    const declaredBytes = Number(request.headers['content-length'] ?? 0);
    if (declaredBytes > limits.bodyBytesMax) {
      fail('GSW_ERR_BODY_TOO_LARGE', `the body exceeds ${limits.bodyBytesMax} bytes`, {
        bytesMax: limits.bodyBytesMax,
      });
    }
    const hold = (bytes: number) => {
      admission.holdDecoded(bytes);
      decodedBytesHeld += bytes;
    };
    admission.reading++;
    const wire = await readWire(request.raw.iterator({ destroyOnReturn: false }), limits.bodyBytesMax, {
      deadline: AbortSignal.timeout(limits.bodyTimeoutMs),
      onChunk: hold,
    }).finally(() => admission.reading--);
    refuseIfOverloaded();
    admission.inFlight++;
    try {
      const columns = await parsers.run({
        wire,
        encoding,
        parser,
        decodedBytesMax: limits.decodedBytesMax,
        rowsMax: limits.batchTicksMax,
        rowErrorsMax: limits.rowErrorsMax,
      });
      // The bytes as sent are held from the first chunk; once decoded, the body is held at its size.
      hold(Math.max(0, columns.decodedBytes - decodedBytesHeld));
      const batch = rowsOf(columns);
      const startedMs = performance.now();
      const result = await store.ingest(batch).catch((error) => rethrowWithPlaces(error, columns));
      metrics.commitLatency.observe((performance.now() - startedMs) / 1000);
      metrics.batches.inc();
      metrics.ticksIngested.inc(result.accepted);
      metrics.duplicates.inc(result.duplicates);
      rate.record(result.accepted, now());
      return result;
    } finally {
      admission.inFlight--;
    }
  } catch (error) {
    metrics.rejections.inc({ reason: rejectionReason(error) });
    if (error instanceof GswarmError && error.code === 'GSW_ERR_OVERLOADED')
      reply.header('retry-after', String(limits.retryAfterS));
    throw error;
  } finally {
    admission.releaseDecoded(decodedBytesHeld);
  }
}

/** The store numbers bad rows by their place in the lists it was given; the sender knows the request's. */
function rethrowWithPlaces(error: unknown, columns: ColumnBatch): never {
  if (error instanceof GswarmError && Array.isArray(error.data.rows)) {
    const rows = (error.data.rows as RowError[]).map((row) => {
      const places = row.field.startsWith('markets.') ? columns.marketPlaces : columns.tickPlaces;
      return { ...row, ...placeAt(places, row.index) };
    });
    throw new GswarmError(error.code, error.message, { ...error.data, rows }, error);
  }
  throw error;
}

const reasonsByCode: Partial<Record<string, RejectionReason>> = {
  GSW_ERR_INVALID_ROWS: 'invalid_rows',
  GSW_ERR_VALUE_TYPE: 'invalid_rows',
  GSW_ERR_DANGLING_REF: 'dangling_ref',
  GSW_ERR_WRITE_ONCE_CONFLICT: 'conflict',
  GSW_ERR_UNIQUE_CONFLICT: 'conflict',
  GSW_ERR_MALFORMED_BODY: 'malformed_body',
  GSW_ERR_BODY_TOO_LARGE: 'body_too_large',
  GSW_ERR_BODY_TIMEOUT: 'body_timeout',
  GSW_ERR_TX_TOO_LARGE: 'body_too_large',
  GSW_ERR_UNSUPPORTED_MEDIA: 'unsupported_media',
};

function rejectionReason(error: unknown): RejectionReason {
  if (!(error instanceof GswarmError)) return 'other';
  if (error.code === 'GSW_ERR_OVERLOADED') return error.data.reason as RejectionReason;
  return reasonsByCode[error.code] ?? 'other';
}
