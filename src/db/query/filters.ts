/**
 * Predicates compiled against a row layout, so a pattern can test a candidate row inside its
 * index visit (predicate pushdown) and a filter step can test rows in place. Comparisons of two
 * numbers skip the generic builtin (arity check, argument array, value-compare by type).
 */
import { GswarmError } from '../../errors.js';
import type { PredicateClause } from './ast.js';
import { type Builtin, FunctionError } from './builtins.js';
import { queryError } from './query-error.js';
import type { Source } from './source.js';
import { compareValues } from './values.js';

/** True when the row at `offset` of `data` passes. */
export type RowTest = (data: readonly unknown[], offset: number) => boolean;

/** What the names in a clause refer to besides its variables: sources and functions. */
export interface Scope {
  /** The source `$name` (declared, so known). */
  source(name: string): Source;
  /** A built-in by name, or the function input a variable holds. */
  fn(name: string, json: unknown): Builtin;
}

/**
 * Predicates that never throw, whatever their arguments: they may run on rows a later join
 * would drop (a pattern's scan before its hash join) without raising errors the query would not.
 */
const total = new Set(['=', '==', '!=', 'not=', '<', '>', '<=', '>=', 'nil?', 'some?', 'true?', 'false?']);

export function isTotal(p: PredicateClause): boolean {
  return total.has(p.fn) && p.args.length >= 1 && p.args.every((t) => t.kind !== 'src');
}

const truthy = (x: unknown) => x !== false && x !== null && x !== undefined;

type Compare = (c: number) => boolean;
const comparisons: Record<string, Compare> = {
  '<': (c) => c < 0,
  '>': (c) => c > 0,
  '<=': (c) => c <= 0,
  '>=': (c) => c >= 0,
};

/**
 * Compiles `p` for rows laid out by `columnOf` (a variable's column, or -1). Errors of the
 * function are reported with the predicate clause, as when it runs as a step of its own.
 */
export function compilePredicate(
  scope: Scope,
  p: PredicateClause,
  columnOf: (name: string) => number,
): RowTest {
  const columns = p.args.map((t) => {
    if (t.kind !== 'var') return -1;
    const c = columnOf(t.name);
    if (c < 0) throw queryError(`unbound variable ${t.name}`, p.json);
    return c;
  });
  const consts = p.args.map((t) =>
    t.kind === 'const' ? t.value : t.kind === 'src' ? scope.source(t.name) : undefined,
  );
  const compare = comparisons[p.fn];
  if (compare !== undefined && p.args.length === 2) return binaryComparison(p.fn, compare, columns, consts);
  return generic(scope.fn(p.fn, p.json), p, columns, consts);
}

/** `(op x y)`: numbers compare directly; other values by value-compare, as the builtin does. */
function binaryComparison(
  fn: string,
  compare: Compare,
  columns: readonly number[],
  consts: readonly unknown[],
): RowTest {
  const [c0, c1] = columns;
  const [k0, k1] = consts;
  const direct =
    fn === '<'
      ? (x: number, y: number) => x < y
      : fn === '>'
        ? (x: number, y: number) => x > y
        : fn === '<='
          ? (x: number, y: number) => x <= y
          : (x: number, y: number) => x >= y;
  return (data, offset) => {
    const x = c0 < 0 ? k0 : data[offset + c0];
    const y = c1 < 0 ? k1 : data[offset + c1];
    if (typeof x === 'number' && typeof y === 'number') return direct(x, y);
    return compare(compareValues(x, y));
  };
}

function generic(
  fn: Builtin,
  p: PredicateClause,
  columns: readonly number[],
  consts: readonly unknown[],
): RowTest {
  const values = [...consts];
  return (data, offset) => {
    for (let i = 0; i < columns.length; i++) if (columns[i] >= 0) values[i] = data[offset + columns[i]];
    try {
      return truthy(fn(values));
    } catch (error) {
      throw clauseError(error, p.json);
    }
  };
}

/** An error raised while evaluating a clause, as the query reports it. */
export function clauseError(error: unknown, json: unknown): unknown {
  if (error instanceof FunctionError) return queryError(error.message, json);
  if (error instanceof GswarmError || !(error instanceof Error)) return error;
  return queryError(`evaluation failed: ${error.message}`, json);
}

/** Several tests as one (all must pass); null for none. */
export function allOf(tests: readonly RowTest[]): RowTest | null {
  if (tests.length === 0) return null;
  if (tests.length === 1) return tests[0];
  return (data, offset) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](data, offset)) return false;
    return true;
  };
}
