/**
 * InfluxDB line protocol, as its clients and Telegraf send it, mapped to ticks:
 *
 *   line        = measurement { "," tag "=" value } " " field "=" value { "," field "=" value } [ " " timestamp ]
 *   measurement = "tick"                         (any other is refused, naming the line)
 *   tags        = "market" (required)             (any other tag is refused)
 *   fields      = "price", "volume" (numbers: 1.5, 2, 2i, 2u), "id" (a string: "abc")
 *   timestamp   = an integer in the request's precision (ns by default); none means the server's clock
 *
 * Commas, spaces and equals signs in names and tag values are escaped with a backslash; string
 * field values are double-quoted with \" and \\ escapes. Blank lines and # comments are skipped.
 *
 * A tick without an `id` field gets a deterministic one, `lp-` and the first 24 hex digits of the
 * SHA-256 of its market, event time (ms), price and volume, so a retried write is a duplicate, not
 * a second tick. Two ticks alike in all four (within one ms) are therefore one tick; send `id` to
 * keep such ticks apart. Each market named is declared, as `gswarm ingest --create-markets` does.
 */
import { createHash } from 'node:crypto';
import { fail } from '../../errors.js';
import type { RowError } from '../wire.js';
import type { ParsedBatch } from './parse.js';

export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

const nsPer: Record<Precision, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** The `precision` parameter, in the v2 spelling (ns, us, ms, s) or the v1 one (n, u, ms, s, m, h). */
export function precisionOf(name: string | undefined): Precision {
  const aliases: Record<string, Precision> = { n: 'ns', u: 'us', µ: 'us' };
  const precision = name === undefined || name === '' ? 'ns' : (aliases[name] ?? name);
  if (!(precision in nsPer))
    fail('GSW_ERR_BAD_REQUEST', `precision '${name}' is not one of ns, us, ms, s (or n, u, m, h)`);
  return precision as Precision;
}

interface Point {
  measurement: string;
  tags: [string, string][];
  fields: [string, FieldValue][];
  timestamp: string | undefined;
}

type FieldValue = { kind: 'number'; value: number } | { kind: 'string'; value: string } | { kind: 'boolean' };

export function parseLineProtocol(text: string, precision: Precision, nowMs: number): ParsedBatch {
  const ticks: Record<string, unknown>[] = [];
  const lineNumbers: number[] = [];
  const rows: RowError[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const lineText = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineText.trim() === '' || lineText.trimStart().startsWith('#')) continue;
    const line = i + 1;
    const problems: { field: string; message: string }[] = [];
    const tick = toTick(parsePoint(lineText, line), precision, nowMs, (field, message) =>
      problems.push({ field, message }),
    );
    for (const p of problems) rows.push({ index: ticks.length, line, ...p });
    ticks.push(tick);
    lineNumbers.push(line);
  }
  if (rows.length > 0) {
    const lineList = [...new Set(rows.map((r) => r.line))].join(', ');
    fail('GSW_ERR_INVALID_ROWS', `line protocol: line ${lineList} cannot be a tick; nothing was stored`, {
      rows,
    });
  }
  const markets = [...new Set(ticks.map((t) => t.market).filter((m) => typeof m === 'string'))];
  return {
    marketLines: markets.map((id) => ({ market: { id } })),
    ticks,
    marketPlace: (index) => ({ index }),
    tickPlace: (index) => ({ index, line: lineNumbers[index]! }),
  };
}

function toTick(
  point: Point,
  precision: Precision,
  nowMs: number,
  problem: (field: string, message: string) => void,
): Record<string, unknown> {
  const tick: Record<string, unknown> = {};
  if (point.measurement !== 'tick')
    problem('measurement', `unknown measurement '${point.measurement}' (expected 'tick')`);
  for (const [key, value] of point.tags) {
    if (key === 'market') tick.market = value;
    else problem(key, `unknown tag '${key}' (expected 'market')`);
  }
  for (const [key, value] of point.fields) {
    if (key === 'price' || key === 'volume') {
      if (value.kind === 'number') tick[key] = value.value;
      else problem(key, `field '${key}' must be a number`);
    } else if (key === 'id') {
      if (value.kind === 'string') tick.id = value.value;
      else problem(key, "field 'id' must be a string");
    } else problem(key, `unknown field '${key}' (expected price, volume or id)`);
  }
  // Whole ms, as tick/ts holds them: finer precisions are truncated.
  tick.ts =
    point.timestamp === undefined ? nowMs : Number((BigInt(point.timestamp) * nsPer[precision]) / nsPer.ms);
  if (tick.id === undefined && typeof tick.market === 'string') {
    const content = `${tick.market}\n${tick.ts}\n${tick.price}\n${tick.volume}`;
    tick.id = `lp-${createHash('sha256').update(content).digest('hex').slice(0, 24)}`;
  }
  return tick;
}

/** Splits one line into its parts; a syntax error names the line and column. */
function parsePoint(text: string, line: number): Point {
  let at = 0;
  const syntax = (what: string): never =>
    fail('GSW_ERR_MALFORMED_BODY', `line protocol: ${what} at line ${line}, column ${at + 1}`, {
      line,
      column: at + 1,
    });
  /** Reads up to an unescaped character of `stops`, unescaping backslashed ones. */
  const name = (stops: string): string => {
    let out = '';
    while (at < text.length && !stops.includes(text[at]!)) {
      if (text[at] === '\\' && at + 1 < text.length && ',= \\'.includes(text[at + 1]!)) at++;
      out += text[at++];
    }
    return out;
  };
  const expect = (char: string, what: string) => {
    if (text[at] !== char) syntax(`expected ${what}`);
    at++;
  };

  const measurement = name(', ');
  if (measurement === '') syntax('expected a measurement');
  const tags: [string, string][] = [];
  while (text[at] === ',') {
    at++;
    const key = name('=, ');
    expect('=', "'=' after a tag key");
    const value = name(', ');
    if (key === '' || value === '') syntax('expected a tag key and value');
    tags.push([key, value]);
  }
  expect(' ', 'a space before the fields');
  const fields: [string, FieldValue][] = [];
  do {
    if (fields.length > 0) at++;
    const key = name('=, ');
    if (key === '') syntax('expected a field');
    expect('=', "'=' after a field key");
    fields.push([key, fieldValue()]);
  } while (text[at] === ',');
  while (text[at] === ' ') at++;
  const timestamp = text.slice(at).trimEnd();
  if (timestamp !== '' && !/^-?\d{1,19}$/.test(timestamp)) syntax('expected an integer timestamp');
  return { measurement, tags, fields, timestamp: timestamp === '' ? undefined : timestamp };

  function fieldValue(): FieldValue {
    if (text[at] === '"') {
      at++;
      let out = '';
      while (at < text.length && text[at] !== '"') {
        if (text[at] === '\\' && (text[at + 1] === '"' || text[at + 1] === '\\')) at++;
        out += text[at++];
      }
      expect('"', 'a closing quote');
      return { kind: 'string', value: out };
    }
    const start = at;
    const raw = name(', ');
    if (/^(t|T|true|True|TRUE|f|F|false|False|FALSE)$/.test(raw)) return { kind: 'boolean' };
    const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)
      ? Number(raw)
      : /^-?\d+[iu]$/.test(raw)
        ? Number(raw.slice(0, -1))
        : Number.NaN;
    if (!Number.isFinite(number)) {
      at = start;
      syntax(`'${raw}' is not a number, string or boolean`);
    }
    return { kind: 'number', value: number };
  }
}
