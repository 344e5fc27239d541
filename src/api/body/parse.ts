/**
 * Turns a decoded ingest body into rows: markets first, then ticks. Accepts a JSON envelope
 * `{ markets, ticks }`, a bare JSON array of ticks, or NDJSON with one tick or `{"market": {...}}`
 * per line, or CSV (./csv.ts). Rows are not validated here (see validate.ts); syntax errors name a line and column.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { fail } from '../../errors.js';
import { IngestEnvelope } from '../wire.js';
import { parseCsvBatch } from './csv.js';
import { jsonSyntaxErrorOffset, positionAt } from './json-syntax.js';

export type BodyFormat = 'json' | 'ndjson' | 'csv';

/** Where a row sits in the request, so error reports name what the sender sent. */
export interface RowPlace {
  index: number;
  /** NDJSON only, 1-based. */
  line?: number;
}

export interface ParsedBatch {
  /** Each market row as `{ market: {...} }`, the NDJSON line shape, so every form validates alike. */
  marketLines: unknown[];
  ticks: unknown[];
  marketPlace(i: number): RowPlace;
  tickPlace(i: number): RowPlace;
}

const envelope = TypeCompiler.Compile(IngestEnvelope);

/**
 * Parses a batch; JSON and NDJSON stop as soon as it holds more than `rowsMax` rows (ticks and
 * markets), refused with 413 (the ingest pipeline counts every format's rows once parsed).
 */
export function parseBatch(text: string, format: BodyFormat, rowsMax: number): ParsedBatch {
  if (format === 'csv') return parseCsvBatch(text);
  return format === 'json' ? parseJson(text, rowsMax) : parseNdjson(text, rowsMax);
}

export function refuseRowsOver(rowsMax: number): never {
  return fail('GSW_ERR_BODY_TOO_LARGE', `the batch holds more than batchTicksMax (${rowsMax}) rows`, {
    limit: 'batchTicksMax',
    rowsMax,
  });
}

function parseJson(text: string, rowsMax: number): ParsedBatch {
  const value = parseJsonText(text, 1);
  const byIndex = (index: number) => ({ index });
  if (Array.isArray(value)) {
    if (value.length > rowsMax) refuseRowsOver(rowsMax);
    return { marketLines: [], ticks: value, marketPlace: byIndex, tickPlace: byIndex };
  }
  if (!envelope.Check(value)) {
    const first = envelope.Errors(value).First();
    const field = first?.path.slice(1) ?? '';
    const reason = first?.message ?? '';
    const problem = reason === 'Unexpected property' ? 'is an unknown property' : reason;
    fail(
      'GSW_ERR_MALFORMED_BODY',
      `a JSON body is an array of ticks or an object { markets, ticks }: body.${field} ${problem}`,
      { field, reason },
    );
  }
  if ((value.markets?.length ?? 0) + (value.ticks?.length ?? 0) > rowsMax) refuseRowsOver(rowsMax);
  return {
    marketLines: (value.markets ?? []).map((market) => ({ market })),
    ticks: value.ticks ?? [],
    marketPlace: byIndex,
    tickPlace: byIndex,
  };
}

function parseNdjson(text: string, rowsMax: number): ParsedBatch {
  const marketLines: unknown[] = [];
  const marketLineNumbers: number[] = [];
  const ticks: unknown[] = [];
  const tickLineNumbers: number[] = [];
  let lineStart = 0;
  for (let line = 1; lineStart < text.length; line++) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const lineText = text.slice(lineStart, lineEnd);
    lineStart = lineEnd + 1;
    if (lineText.trim() === '') continue;
    if (marketLines.length + ticks.length === rowsMax) refuseRowsOver(rowsMax);
    const row = parseJsonText(lineText, line);
    if (isMarketLine(row)) {
      marketLines.push(row);
      marketLineNumbers.push(line);
    } else {
      ticks.push(row);
      tickLineNumbers.push(line);
    }
  }
  const byLine = (line: number) => ({ index: line - 1, line });
  return {
    marketLines,
    ticks,
    marketPlace: (i) => byLine(marketLineNumbers[i]),
    tickPlace: (i) => byLine(tickLineNumbers[i]),
  };
}

/** A tick names its market by id (a string); a market line holds an object under `market`. */
function isMarketLine(row: unknown): boolean {
  const market = (row as { market?: unknown } | null)?.market;
  return typeof market === 'object' && market !== null;
}

function parseJsonText(text: string, firstLine: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const offset = jsonSyntaxErrorOffset(text);
    const { line, column } = positionAt(text, offset === -1 ? text.length : offset);
    const at = { line: firstLine + line - 1, column };
    return fail('GSW_ERR_MALFORMED_BODY', `malformed JSON at line ${at.line}, column ${at.column}`, at);
  }
}
