/**
 * One ingest body from the bytes as sent to valid rows in columns: decode, parse, count, validate.
 * It is the whole of a parse worker's job (./body-pool.ts), and pure apart from the clock reading
 * it is given, so the event loop can run it too. Columns rather than row objects because typed
 * arrays cross to the event loop without being copied, and strings in two flat lists cost the
 * structured clone far less than one object per row.
 */
import type { MarketRow, TickRow } from '../../market/rows.js';
import { type ContentEncoding, decodeBody } from './decode.js';
import { type Precision, parseLineProtocol } from './line-protocol.js';
import { type BodyFormat, type ParsedBatch, parseBatch, type RowPlace, refuseRowsOver } from './parse.js';
import { type ValidBatch, validateBatch } from './validate.js';

/** How to parse a body: one of the `/v2/ingest` formats, or line protocol at a precision. */
export type BodyParser =
  | { format: BodyFormat }
  | { format: 'line-protocol'; precision: Precision; nowMs: number };

export interface BodyJob {
  wire: Uint8Array;
  encoding: ContentEncoding;
  parser: BodyParser;
  decodedBytesMax: number;
  /** Rows (ticks and markets) one body may hold. */
  rowsMax: number;
  rowErrorsMax: number;
}

/** Where each row of a list sat in the request; absent arrays mean "at its index, no line". */
export interface Places {
  index?: Int32Array;
  line?: Int32Array;
}

/** A valid batch as columns: what crosses from a parse worker to the event loop. */
export interface ColumnBatch {
  decodedBytes: number;
  marketIds: string[];
  /** A market's name, or null when the row gave none. */
  marketNames: (string | null)[];
  marketPlaces: Places;
  tickIds: string[];
  tickMarkets: string[];
  price: Float64Array;
  volume: Float64Array;
  ts: Float64Array;
  tickPlaces: Places;
}

export function runBodyJob(job: BodyJob): ColumnBatch {
  const body = decodeBody(
    Buffer.from(job.wire.buffer, job.wire.byteOffset, job.wire.byteLength),
    job.encoding,
    job.decodedBytesMax,
  );
  const text = body.toString('utf8');
  const { parser } = job;
  const parsed =
    parser.format === 'line-protocol'
      ? parseLineProtocol(text, parser.precision, parser.nowMs)
      : parseBatch(text, parser.format, job.rowsMax);
  if (parsed.ticks.length + parsed.marketLines.length > job.rowsMax) refuseRowsOver(job.rowsMax);
  return columnsOf(validateBatch(parsed, job.rowErrorsMax), parsed, body.length);
}

function columnsOf(valid: ValidBatch, parsed: ParsedBatch, decodedBytes: number): ColumnBatch {
  const { markets, ticks } = valid;
  const price = new Float64Array(ticks.length);
  const volume = new Float64Array(ticks.length);
  const ts = new Float64Array(ticks.length);
  const tickIds = new Array<string>(ticks.length);
  const tickMarkets = new Array<string>(ticks.length);
  for (let i = 0; i < ticks.length; i++) {
    const tick = ticks[i]!;
    tickIds[i] = tick.id;
    tickMarkets[i] = tick.market;
    price[i] = tick.price;
    volume[i] = tick.volume;
    ts[i] = tick.ts;
  }
  return {
    decodedBytes,
    marketIds: markets.map((m) => m.id),
    marketNames: markets.map((m) => m.name ?? null),
    marketPlaces: placesOf(markets.length, parsed.marketPlace),
    tickIds,
    tickMarkets,
    price,
    volume,
    ts,
    tickPlaces: placesOf(ticks.length, parsed.tickPlace),
  };
}

function placesOf(count: number, place: (i: number) => RowPlace): Places {
  const index = new Int32Array(count);
  const line = new Int32Array(count);
  let moved = false;
  let lined = false;
  for (let i = 0; i < count; i++) {
    const at = place(i);
    index[i] = at.index;
    moved ||= at.index !== i;
    if (at.line !== undefined) {
      line[i] = at.line;
      lined = true;
    }
  }
  return { ...(moved ? { index } : {}), ...(lined ? { line } : {}) };
}

/** Where row `i` of a list sat in the request. */
export function placeAt(places: Places, i: number): RowPlace {
  const index = places.index?.[i] ?? i;
  return places.line === undefined ? { index } : { index, line: places.line[i]! };
}

/** The batch as the store takes it: one object per row, made on the event loop. */
export function rowsOf(batch: ColumnBatch): { markets: MarketRow[]; ticks: TickRow[] } {
  const markets = batch.marketIds.map((id, i): MarketRow => {
    const name = batch.marketNames[i];
    return name === null ? { id } : { id, name };
  });
  const { tickIds, tickMarkets, price, volume, ts } = batch;
  const ticks = new Array<TickRow>(tickIds.length);
  for (let i = 0; i < tickIds.length; i++)
    ticks[i] = { id: tickIds[i]!, market: tickMarkets[i]!, price: price[i]!, volume: volume[i]!, ts: ts[i]! };
  return { markets, ticks };
}

/** The typed arrays a batch holds, which a worker hands over rather than copies. */
export function transferablesOf(batch: ColumnBatch): ArrayBuffer[] {
  const places = [batch.marketPlaces, batch.tickPlaces].flatMap((p) => [p.index, p.line]);
  return [batch.price, batch.volume, batch.ts, ...places]
    .filter((array) => array !== undefined)
    .map((array) => array.buffer as ArrayBuffer);
}
