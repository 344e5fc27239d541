/**
 * The find stage: projects the where relation onto the find and with variables as a set,
 * groups by the non-aggregate elements, aggregates, pulls, and shapes the result.
 */
import type { FindElement, ParsedQuery } from './ast.js';
import { isVar } from './ast.js';
import { clauseError, type Scope } from './filters.js';
import { KeyTable } from './key-table.js';
import { entityOf } from './lookup.js';
import { queryError } from './query-error.js';
import { project, type Relation } from './relation.js';
import { isDatabase } from './source.js';
import { compareValues, valueKey } from './values.js';

/** What the find stage reads besides the where relation: sources, and scalar and function inputs. */
export interface FindInputs {
  readonly scope: Scope;
  readonly scalars: ReadonlyMap<string, unknown>;
}

export function findResult(inputs: FindInputs, query: ParsedQuery, rel: Relation): unknown {
  const { elements, shape, keys } = query.find;
  const vars = [...new Set([...elements.map((e) => e.name), ...query.with])];
  const missing = vars.filter((v) => !rel.has(v));
  if (missing.length > 0) throw queryError(`find variables not bound: ${missing.join(', ')}`, query.find);
  const tuples = project(rel, vars);
  const columns = elements.map((e) => vars.indexOf(e.name));
  const rows = elements.some((e) => e.kind === 'aggregate')
    ? aggregateRows(inputs, tuples, elements, columns)
    : plainRows(tuples, columns);
  try {
    pullInto(inputs, rows, elements);
  } catch (error) {
    throw clauseError(error, query.find.elements);
  }
  const asMap = (row: unknown[]) => Object.fromEntries(keys!.map((k, i) => [k, row[i]]));
  switch (shape) {
    case 'relation':
      return keys === null ? rows : rows.map(asMap);
    case 'collection':
      return rows.map((r) => r[0]);
    case 'scalar':
      return rows.length === 0 ? null : rows[0][0];
    case 'tuple':
      return rows.length === 0 ? null : keys === null ? rows[0] : asMap(rows[0]);
  }
}

function plainRows(tuples: Relation, columns: readonly number[]): unknown[][] {
  const rows: unknown[][] = [];
  for (let r = 0, offset = 0; r < tuples.size; r++, offset += tuples.width) {
    rows.push(columns.map((c) => tuples.data[offset + c]));
  }
  return rows;
}

/**
 * Groups rows by the non-aggregate columns through a hash table over the rows themselves (no
 * key built per row), then gathers each aggregate's column per group; a count needs only sizes.
 */
function aggregateRows(
  inputs: FindInputs,
  tuples: Relation,
  elements: readonly FindElement[],
  columns: readonly number[],
): unknown[][] {
  const groupColumns = columns.filter((_, i) => elements[i].kind !== 'aggregate');
  const groupOf = new Int32Array(tuples.size);
  const firsts: number[] = [];
  const table = new KeyTable(tuples.data, tuples.width, groupColumns, tuples.size);
  for (let r = 0, offset = 0; r < tuples.size; r++, offset += tuples.width) {
    const same =
      groupColumns.length === 0 ? (r === 0 ? -1 : 0) : table.lookup(tuples.data, offset, groupColumns, r);
    if (same >= 0) groupOf[r] = groupOf[same];
    else groupOf[r] = firsts.push(r) - 1;
  }
  const sizes = new Array<number>(firsts.length).fill(0);
  for (let r = 0; r < tuples.size; r++) sizes[groupOf[r]]++;
  const results = elements.map((e, i) => {
    if (e.kind !== 'aggregate') return null;
    if (e.fn === 'count') return sizes;
    const values = sizes.map(() => [] as unknown[]);
    for (let r = 0, offset = columns[i]; r < tuples.size; r++, offset += tuples.width)
      values[groupOf[r]].push(tuples.data[offset]);
    const custom = e.fn === 'aggregate' ? inputs.scope.fn(e.params[0] as string, e) : undefined;
    const params = e.params
      .slice(custom === undefined ? 0 : 1)
      .map((p) => (isVar(p) ? inputs.scalars.get(p) : p));
    return values.map((v) => (custom === undefined ? aggregate(e, params, v) : custom([...params, v])));
  });
  return firsts.map((first, g) =>
    elements.map((_, i) => {
      const aggregated = results[i];
      return aggregated === null ? tuples.data[first * tuples.width + columns[i]] : aggregated[g];
    }),
  );
}

function aggregate(e: FindElement & { kind: 'aggregate' }, params: unknown[], values: unknown[]): unknown {
  const json = [e.fn, ...e.params, e.name];
  const count = () => {
    const n = params[0];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      throw queryError(`${e.fn} takes a count (a non-negative integer), got ${JSON.stringify(n)}`, json);
    return n;
  };
  const numbers = () => {
    if (!values.every((v) => typeof v === 'number'))
      throw queryError(`${e.fn} aggregates numbers only`, json);
    return values as number[];
  };
  switch (e.fn) {
    case 'count':
      return values.length;
    case 'count-distinct':
      return new Set(values.map(valueKey)).size;
    case 'distinct':
      return distinctValues(values);
    case 'sum':
      return numbers().reduce((a, b) => a + b, 0);
    case 'avg':
      return numbers().reduce((a, b) => a + b, 0) / values.length;
    case 'median':
      return median(numbers());
    case 'variance':
      return variance(numbers());
    case 'stddev':
      return Math.sqrt(variance(numbers()));
    case 'min':
    case 'max':
      return extreme(e.fn, params.length === 0 ? undefined : count(), values);
    case 'rand':
      return params.length === 0 ? pick(values) : Array.from({ length: count() }, () => pick(values));
    case 'sample':
      return shuffled(distinctValues(values)).slice(0, count());
    default:
      throw queryError(`unknown aggregate ${e.fn}`, json);
  }
}

const distinctValues = (values: unknown[]) => [...new Map(values.map((v) => [valueKey(v), v])).values()];
const pick = (values: unknown[]) => values[Math.floor(Math.random() * values.length)];

function shuffled(values: unknown[]): unknown[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

/** The population variance, as Datascript's. */
function variance(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** min/max of the values; with a count n, the n smallest or largest in ascending order (as Datascript). */
function extreme(fn: 'min' | 'max', n: number | undefined, values: unknown[]): unknown {
  const sign = fn === 'min' ? 1 : -1;
  if (n === undefined) return values.reduce((best, v) => (sign * compareValues(v, best) < 0 ? v : best));
  const sorted = [...values].sort(compareValues);
  return fn === 'min' ? sorted.slice(0, n) : sorted.slice(Math.max(0, sorted.length - n));
}

function pullInto(inputs: FindInputs, rows: unknown[][], elements: readonly FindElement[]): void {
  elements.forEach((e, i) => {
    if (e.kind !== 'pull') return;
    const source = inputs.scope.source(e.src);
    if (!isDatabase(source)) throw queryError(`pull reads a database; ${e.src} is a collection`, e);
    const pattern = typeof e.pattern === 'string' ? inputs.scalars.get(e.pattern) : e.pattern;
    if (!Array.isArray(pattern))
      throw queryError(`the pull pattern ${e.pattern} must be an input holding an array`, e);
    for (const row of rows) {
      const entity = entityOf(source, row[i]);
      row[i] = entity === undefined ? null : source.pull(entity, pattern);
    }
  });
}
