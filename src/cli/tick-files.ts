/**
 * Reads ticks and markets from files for `gswarm ingest`: JSON (an array of ticks or
 * `{ markets, ticks }`), NDJSON (one tick or `{"market": {...}}` per line) or CSV (see
 * src/market/tick-csv.ts, which refuses empty or unparsable fields); any of them zstd-compressed when the name ends in `.zst`. The server
 * validates the rows; this only turns text into them, streaming where the format allows.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DecompressStream, decompress } from 'zstd-napi';
import type { Market, Tick } from '../api/wire.js';
import { TickCsvError, ticksFromCsvStream } from '../market/tick-csv.js';

export type FileRow = { market: Market } | { tick: Tick };

export type FileFormat = 'json' | 'ndjson' | 'csv';

export function fileFormat(path: string): FileFormat {
  const name = path.toLowerCase().replace(/\.zst$/, '');
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.csv')) return 'csv';
  throw new Error(`${path}: cannot tell the format (.json, .ndjson, .jsonl or .csv, optionally .zst)`);
}

export async function* readRows(path: string): AsyncGenerator<FileRow> {
  const format = fileFormat(path);
  if (format === 'json') yield* jsonRows(path);
  else if (format === 'ndjson') yield* ndjsonRows(path);
  else yield* csvRows(path);
}

const compressed = (path: string) => path.toLowerCase().endsWith('.zst');

async function* jsonRows(path: string): AsyncGenerator<FileRow> {
  const bytes = await readFile(path);
  const value = JSON.parse((compressed(path) ? decompress(bytes) : bytes).toString('utf8')) as
    | Tick[]
    | { markets?: Market[]; ticks?: Tick[] };
  const { markets = [], ticks = [] } = Array.isArray(value) ? { ticks: value } : value;
  for (const market of markets) yield { market };
  for (const tick of ticks) yield { tick };
}

function lines(path: string): AsyncIterable<string> {
  const file: Readable = createReadStream(path);
  return createInterface({
    input: compressed(path) ? file.pipe(new DecompressStream()) : file,
    crlfDelay: Infinity,
  });
}

async function* ndjsonRows(path: string): AsyncGenerator<FileRow> {
  let lineNumber = 0;
  for await (const line of lines(path)) {
    lineNumber++;
    if (line.trim() === '') continue;
    const row = parseLine(path, lineNumber, line);
    const market = (row as { market?: unknown }).market;
    yield typeof market === 'object' && market !== null
      ? { market: market as Market }
      : { tick: row as Tick };
  }
}

function parseLine(path: string, lineNumber: number, line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new Error(`${path}:${lineNumber}: ${(error as Error).message}`);
  }
}

async function* csvRows(path: string): AsyncGenerator<FileRow> {
  const file: Readable = createReadStream(path);
  try {
    for await (const { tick } of ticksFromCsvStream(
      compressed(path) ? file.pipe(new DecompressStream()) : file,
    ))
      yield { tick };
  } catch (error) {
    if (error instanceof TickCsvError) throw new Error(`${path}: ${error.message}`);
    throw error;
  }
}
