/**
 * Patterns over a collection of tuples passed as a source (`:in $ $t` with `[[1 "a"] [2 "b"]]`):
 * each tuple matches position by position, constants by equality and variables binding, as in
 * Datascript. The matches form a set, joined with the rows before the pattern.
 */
import type { PatternClause } from './ast.js';
import type { ResolvedPattern } from './patterns.js';
import { distinct, join, Relation } from './relation.js';
import type { TupleCollection } from './source.js';
import { valueEquals } from './values.js';

export function tuplesResolved(tuples: TupleCollection): ResolvedPattern {
  return { attribute: undefined, e: undefined, v: undefined, rows: tuples.length };
}

export function matchTuples(tuples: TupleCollection, ctx: Relation, p: PatternClause): Relation {
  const written = p.terms.reduce((n, t, i) => (t.kind === 'blank' ? n : i + 1), 0);
  const vars: string[] = [];
  const firstAt: number[] = p.terms.map((t, i) => {
    if (t.kind !== 'var') return -1;
    const seen = p.terms.findIndex((u) => u.kind === 'var' && u.name === t.name);
    if (seen === i) vars.push(t.name);
    return seen;
  });
  const matches = new Relation(vars);
  for (const tuple of tuples) {
    if (tuple.length < written || !fits(p, firstAt, tuple)) continue;
    firstAt.forEach((first, i) => {
      if (first === i) matches.data.push(tuple[i]);
    });
    matches.endRow();
  }
  return join(ctx, distinct(matches));
}

function fits(p: PatternClause, firstAt: readonly number[], tuple: readonly unknown[]): boolean {
  for (let i = 0; i < p.terms.length; i++) {
    const t = p.terms[i];
    if (t.kind === 'const' && !valueEquals(tuple[i], t.value)) return false;
    if (t.kind === 'var' && firstAt[i] !== i && !valueEquals(tuple[i], tuple[firstAt[i]])) return false;
  }
  return true;
}
