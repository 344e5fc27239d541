/**
 * Ticks from CSV, for `gswarm ingest FILE.csv` and `POST /v2/ingest` with `text/csv`. Parsing is
 * csv-parse's (quoted fields, "" for a quote, CRLF, a BOM); this turns records into tick rows and
 * refuses, naming line and column, a field that is empty or does not parse: no field defaults.
 *
 *   header  = a row naming the columns id, market, price, volume and ts, in any order
 *   id      = the tick's id, non-empty
 *   market  = the market's id, non-empty
 *   price   = a decimal number ≥ 0 (1, 0.31, 1e3)
 *   volume  = a decimal number ≥ 0
 *   ts      = epoch milliseconds (digits), or ISO-8601 UTC or with an offset:
 *             2026-11-30, 2026-11-30T06:48:50Z, 2026-11-30T07:48:50.123+01:00
 */
import type { Readable } from 'node:stream';
import { CsvError, type Info, type Options, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type { TickRow } from './rows.js';

export const tickCsvColumns = ['id', 'market', 'price', 'volume', 'ts'] as const;
type Column = (typeof tickCsvColumns)[number];

/** The format in a few lines, for `gswarm ingest --help`. */
export const tickCsvHelp = `CSV files start with a header naming the columns id, market, price, volume and ts (any
order, no others). Fields may be "quoted". price and volume are decimal numbers >= 0; ts is epoch
milliseconds or an ISO-8601 time with a zone (2026-11-30T06:48:50Z, ...+01:00) or a date. An empty
or unparsable field stops the ingest, naming the file, line and column.`;

/** What is wrong with a CSV text, and where: 1-based line, 1-based column (0: the whole line). */
export interface CsvProblem {
  line: number;
  column: number;
  /** The column's name from the header, or '' when the problem is not one field's. */
  field: string;
  message: string;
}

export class TickCsvError extends Error {
  constructor(readonly problem: CsvProblem) {
    const { line, column, field, message } = problem;
    super(`line ${line}${column > 0 ? `, column ${column}${field ? ` (${field})` : ''}` : ''}: ${message}`);
    this.name = 'TickCsvError';
  }
}

export interface CsvTick {
  tick: TickRow;
  /** The line the tick's record ends on, 1-based. */
  line: number;
}

const parserOptions: Options = { bom: true, skip_empty_lines: true, trim: true, info: true };

type Record = { record: string[]; info: Info };

/**
 * Converts CSV records (the first one the header) into ticks; a record with bad fields yields
 * its problems instead, so a body can report every bad row and a file can stop at the first.
 */
export class TickCsvReader {
  private columns: { [C in Column]: number } | undefined;

  /** The tick of one record, the problems of its fields, or undefined for the header. */
  read({ record, info }: Record): CsvTick | CsvProblem[] | undefined {
    const line = info.lines;
    if (this.columns === undefined) {
      this.columns = headerColumns(record, line);
      return undefined;
    }
    const problems: CsvProblem[] = [];
    const field = <T>(column: Column, convert: (text: string) => T | string): T => {
      const at = this.columns![column];
      const text = record[at] ?? '';
      const value = text === '' ? 'is empty' : convert(text);
      if (typeof value === 'string') problems.push({ line, column: at + 1, field: column, message: value });
      return value as T;
    };
    const id = (text: string) => ({ text });
    const tick = {
      id: field('id', id).text,
      market: field('market', id).text,
      price: field('price', amount),
      volume: field('volume', amount),
      ts: field('ts', timestamp),
    };
    return problems.length > 0 ? problems : { tick, line };
  }

  /** Problems left at the end: a text without even a header. */
  finish(): CsvProblem[] {
    return this.columns === undefined
      ? [{ line: 1, column: 0, field: '', message: `no header row (${tickCsvColumns.join(',')})` }]
      : [];
  }
}

/** The ticks of a whole CSV text, or its problems (at most `problemsMax`, and how many rows have one). */
export function ticksFromCsvText(
  text: string,
  problemsMax: number,
): { ticks: CsvTick[]; problems: CsvProblem[]; rowsInvalid: number } {
  const reader = new TickCsvReader();
  const ticks: CsvTick[] = [];
  const problems: CsvProblem[] = [];
  let rowsInvalid = 0;
  let records: Record[];
  try {
    records = parseSync(text, parserOptions) as unknown as Record[];
  } catch (error) {
    throw error instanceof CsvError ? new TickCsvError(syntaxProblem(error)) : error;
  }
  for (const record of records) {
    const read = reader.read(record);
    if (read === undefined) continue;
    if (!Array.isArray(read)) ticks.push(read);
    else {
      rowsInvalid++;
      problems.push(...read.slice(0, problemsMax - problems.length));
    }
  }
  const [missing] = reader.finish();
  if (missing) throw new TickCsvError(missing);
  return { ticks, problems, rowsInvalid };
}

/** The ticks of a CSV stream, in order; throws a TickCsvError at the first problem. */
export async function* ticksFromCsvStream(source: Readable): AsyncGenerator<CsvTick> {
  const reader = new TickCsvReader();
  const records = source.pipe(parse(parserOptions));
  source.once('error', (error) => records.destroy(error));
  try {
    for await (const record of records as AsyncIterable<Record>) {
      const read = reader.read(record);
      if (Array.isArray(read)) throw new TickCsvError(read[0]!);
      if (read !== undefined) yield read;
    }
  } catch (error) {
    throw error instanceof CsvError ? new TickCsvError(syntaxProblem(error)) : error;
  }
  const [missing] = reader.finish();
  if (missing) throw new TickCsvError(missing);
}

function headerColumns(header: string[], line: number): { [C in Column]: number } {
  const problem = (column: number, message: string) => new TickCsvError({ line, column, field: '', message });
  const columns: Partial<{ [C in Column]: number }> = {};
  header.forEach((name, i) => {
    if (!(tickCsvColumns as readonly string[]).includes(name))
      throw problem(
        i + 1,
        `unknown column ${JSON.stringify(name)} (the columns: ${tickCsvColumns.join(', ')})`,
      );
    if (columns[name as Column] !== undefined) throw problem(i + 1, `column ${JSON.stringify(name)} repeats`);
    columns[name as Column] = i;
  });
  const missing = tickCsvColumns.filter((column) => columns[column] === undefined);
  if (missing.length > 0) throw problem(0, `the header lacks the column(s) ${missing.join(', ')}`);
  return columns as { [C in Column]: number };
}

const decimalPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function amount(text: string): number | string {
  if (!decimalPattern.test(text)) return `${JSON.stringify(text)} is not a number`;
  const value = Number(text);
  if (!Number.isFinite(value)) return `${JSON.stringify(text)} is not finite`;
  return value < 0 ? `${JSON.stringify(text)} is negative` : value;
}

const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Epoch ms from digits, or from an ISO-8601 date or date-time with a zone (never local time). */
function timestamp(text: string): number | string {
  if (/^\d+$/.test(text)) {
    const ms = Number(text);
    return Number.isSafeInteger(ms) ? ms : `${text} is beyond the epoch ms range`;
  }
  const match = isoPattern.exec(text);
  if (match === null) {
    return `${JSON.stringify(text)} is neither epoch ms nor an ISO-8601 time with a zone (2026-11-30T06:48:50Z)`;
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(frac.padEnd(3, '0')));
  const date = new Date(utc);
  if (
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return `${JSON.stringify(text)} is not a valid date and time`;
  const offsetMin =
    zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const ms = utc - offsetMin * 60_000;
  return ms >= 0 ? ms : `${JSON.stringify(text)} is before 1970`;
}

/** A csv-parse error: its line, and the 0-based field it stopped in (unless the record's length is wrong). */
function syntaxProblem(error: CsvError): CsvProblem {
  const { lines, index } = error as CsvError & { lines?: number; index?: number };
  const wholeLine = error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || typeof index !== 'number';
  return {
    line: lines ?? 0,
    column: wholeLine ? 0 : index + 1,
    field: '',
    message: error.message.replace(/^[A-Za-z ]+: /, ''),
  };
}
