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

export function parseBatch(text: string, format: BodyFormat): ParsedBatch {
  if (format === 'csv') return parseCsvBatch(text);
  return format === 'json' ? parseJson(text) : parseNdjson(text);
}

function parseJson(text: string): ParsedBatch {
  const value = parseJsonText(text, 1);
  const byIndex = (index: number) => ({ index });
  if (Array.isArray(value))
    return { marketLines: [], ticks: value, marketPlace: byIndex, tickPlace: byIndex };
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
  return {
    marketLines: (value.markets ?? []).map((market) => ({ market })),
    ticks: value.ticks ?? [],
    marketPlace: byIndex,
    tickPlace: byIndex,
  };
}

function parseNdjson(text: string): ParsedBatch {
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
