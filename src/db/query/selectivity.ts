/**
 * How many rows a predicate keeps, estimated from sampled values: without it the planner would
 * guess one half for every predicate and could not tell `[(> ?price 0.99)]` (almost nothing)
 * from `[(> ?price 0)]` (almost everything), so it would not start from a pattern whose pushed
 * predicate leaves few rows.
 */
import type { PatternClause, PredicateClause } from './ast.js';
import { compilePredicate, isTotal, type Scope } from './filters.js';
import type { ResolvedPattern } from './patterns.js';
import type { QuerySource } from './source.js';

const sampleSize = 256;

/**
 * The share of the pattern's datoms that pass `pred`, or undefined when it cannot be sampled:
 * only a total predicate whose one variable is the value of a pattern with a known attribute.
 */
export function sampledSelectivity(
  source: QuerySource,
  scope: Scope,
  pred: PredicateClause,
  pattern: PatternClause,
  resolved: ResolvedPattern,
): number | undefined {
  const v = pattern.terms[2];
  if (source.sampleValues === undefined || resolved.attribute === undefined || v.kind !== 'var')
    return undefined;
  if (pred.vars.length !== 1 || pred.vars[0] !== v.name || !isTotal(pred)) return undefined;
  const values = source.sampleValues(resolved.attribute, sampleSize);
  if (values.length === 0) return undefined;
  const test = compilePredicate(scope, pred, (name) => (name === v.name ? 0 : -1));
  const row: unknown[] = [undefined];
  let passed = 0;
  for (const value of values) {
    row[0] = value;
    if (test(row, 0)) passed++;
  }
  // Half a row for what the sample may have missed: an estimate never reaches zero.
  return (passed + 0.5) / (values.length + 1);
}
