/**
 * The planner: orders a list of clauses greedily. Filters (predicates, function bindings, not,
 * fully bound or/rule calls) run as soon as their variables are bound; otherwise the generator
 * with the fewest estimated rows goes next (an unconnected one is a cross product, estimated as
 * such). Estimates come from `source.estimate` with the pattern's constants, scaled by a fan-out
 * guess for bound variables and by the share of rows the predicates it makes ready keep (sampled
 * when the source can, see selectivity.ts). With predicates about, the few cheapest starts are
 * each planned out and the plan with the fewest rows in total is kept.
 *
 * Consequence: `not`, `or` and predicates wait for every variable they share with other clauses,
 * whatever the written order (Datascript evaluates in written order).
 */
import { GswarmError } from '../../errors.js';
import type { Clause, PatternClause, PredicateClause, RuleCallClause, RuleDefinition } from './ast.js';
import type { ResolvedPattern } from './patterns.js';
import { queryError } from './query-error.js';

export type IndexUse = 'EAVT' | 'AEVT' | 'AVET' | 'scan';
/** How a pattern meets the rows before it: per-row index lookups, a hash join, or a cross product. */
export type JoinMethod = 'lookup' | 'hash' | 'product';

export interface PlanStep {
  readonly clause: Clause;
  readonly estimatedRows: number;
  readonly index?: IndexUse;
  readonly join?: JoinMethod;
}

export interface PlanContext {
  resolve(pattern: PatternClause): ResolvedPattern;
  ruleDefinitions(call: RuleCallClause): readonly RuleDefinition[];
  /** Rows of a rule's relation when known (a recursive rule under or after evaluation). */
  ruleRows(call: RuleCallClause): number | undefined;
  /**
   * The share of rows a predicate keeps: sampled when `pattern` binds its variable and the
   * source allows (then remembered for the predicate), else the remembered share, else undefined.
   */
  selectivity(pred: PredicateClause, pattern: PatternClause | null): number | undefined;
}

/** A guess for a recursive rule not yet evaluated, and the share of rows a filter keeps. */
const unknownRuleRows = 1000;
const filterKeeps = 0.5;

export function planClauses(
  ctx: PlanContext,
  clauses: readonly Clause[],
  bound: ReadonlySet<string>,
  rows: number,
): PlanStep[] {
  const first = remainingAfter(ctx, [], clauses, bound, rows, null);
  if (!clauses.some((c) => c.type === 'predicate')) return first;
  // Greedy by rows can start from a small relation that meets a large one next, where a pattern
  // whose pushed predicate keeps few rows was the better start: with predicates about, the few
  // cheapest starts are each planned out, and the plan with the fewest rows overall wins.
  let best = first;
  let bestCost = totalRows(first);
  const firstGenerator = first.find((s) => isGenerator(s.clause))?.clause;
  for (const start of cheapestGenerators(ctx, clauses, new Set(bound), rows, alternativeStarts)) {
    if (clauses[start] === firstGenerator) continue;
    const steps = tryRemaining(ctx, clauses, bound, rows, clauses[start]);
    if (steps !== null && totalRows(steps) < bestCost) [best, bestCost] = [steps, totalRows(steps)];
  }
  return best;
}

/** How many of the cheapest first generators are planned out when predicates could change the best start. */
const alternativeStarts = 3;

const totalRows = (steps: readonly PlanStep[]) => steps.reduce((sum, s) => sum + s.estimatedRows, 0);

function tryRemaining(
  ctx: PlanContext,
  clauses: readonly Clause[],
  bound: ReadonlySet<string>,
  rows: number,
  start: Clause,
): PlanStep[] | null {
  try {
    return remainingAfter(ctx, [], clauses, bound, rows, start);
  } catch (error) {
    if (error instanceof GswarmError) return null;
    throw error;
  }
}

/** The greedy plan of `clauses`, whose first generator is `start` when given. */
function remainingAfter(
  ctx: PlanContext,
  steps: PlanStep[],
  clauses: readonly Clause[],
  bound: ReadonlySet<string>,
  rows: number,
  start: Clause | null,
): PlanStep[] {
  const remaining = [...clauses];
  const boundNow = new Set(bound);
  while (remaining.length > 0) {
    let pick = remaining.findIndex((c, i) => isReadyFilter(ctx, c, boundNow, otherBindable(remaining, i)));
    if (pick < 0 && start !== null) [pick, start] = [remaining.indexOf(start), null];
    if (pick < 0) pick = cheapestGenerators(ctx, remaining, boundNow, rows, 1)[0] ?? -1;
    if (pick < 0) throw stuck(ctx, remaining, boundNow);
    const [clause] = remaining.splice(pick, 1);
    const step = estimateStep(ctx, clause, boundNow, rows);
    steps.push(step);
    rows = step.estimatedRows;
    for (const v of bindsOf(clause)) boundNow.add(v);
  }
  return steps;
}

/** Variables a clause leaves bound after it runs. */
export function bindsOf(clause: Clause): readonly string[] {
  if (clause.type === 'function') return clause.outVars;
  if (clause.type === 'pattern' || clause.type === 'or' || clause.type === 'rule') return clause.vars;
  return [];
}

function otherBindable(clauses: readonly Clause[], except: number): Set<string> {
  const vars = new Set<string>();
  clauses.forEach((c, i) => {
    if (i !== except) for (const v of bindsOf(c)) vars.add(v);
  });
  return vars;
}

const allBound = (vars: readonly string[], bound: ReadonlySet<string>) => vars.every((v) => bound.has(v));

function isReadyFilter(ctx: PlanContext, c: Clause, bound: ReadonlySet<string>, later: Set<string>): boolean {
  switch (c.type) {
    case 'predicate':
    case 'function':
      return allBound(c.vars, bound);
    case 'not':
      if (c.joinVars !== null) return allBound(c.joinVars, bound);
      return c.vars.some((v) => bound.has(v)) && c.vars.every((v) => bound.has(v) || !later.has(v));
    case 'or':
    case 'rule':
      return allBound(c.vars, bound) && requiredBound(ctx, c, bound);
    case 'pattern':
      return false;
  }
}

function requiredBound(ctx: PlanContext, c: Clause, bound: ReadonlySet<string>): boolean {
  return requiredVars(ctx, c).every((v) => bound.has(v));
}

function requiredVars(ctx: PlanContext, c: Clause): string[] {
  if (c.type === 'or') return [...c.required];
  if (c.type !== 'rule') return [];
  const required = ctx.ruleDefinitions(c)[0].required;
  return c.args.slice(0, required).flatMap((t) => (t.kind === 'var' ? [t.name] : []));
}

const isGenerator = (c: Clause) => c.type === 'pattern' || c.type === 'or' || c.type === 'rule';

/** The indices of the `count` generators with the fewest estimated rows, fewest first. */
function cheapestGenerators(
  ctx: PlanContext,
  clauses: readonly Clause[],
  bound: Set<string>,
  rows: number,
  count: number,
): number[] {
  const scored: [index: number, score: number][] = [];
  clauses.forEach((c, i) => {
    if (!isGenerator(c) || !requiredBound(ctx, c, bound)) return;
    // An unconnected clause makes a cross product, whose estimate is already the product's
    // size: it goes first only when that is below the rows of every connected clause (as when
    // a predicate pushed into it keeps almost nothing).
    let score = estimateStep(ctx, c, bound, rows).estimatedRows;
    // The predicates this pattern makes ready run inside it: rank it by the rows they keep.
    if (c.type === 'pattern') score *= keptByFilters(ctx, clauses, c, bound);
    scored.push([i, score]);
  });
  return scored
    .sort((x, y) => x[1] - y[1])
    .slice(0, count)
    .map(([i]) => i);
}

/** The share of a pattern's rows kept by the predicates that become ready when it binds its variables. */
function keptByFilters(
  ctx: PlanContext,
  clauses: readonly Clause[],
  p: PatternClause,
  bound: ReadonlySet<string>,
): number {
  let kept = 1;
  for (const c of clauses) {
    if (c.type !== 'predicate' || !c.vars.every((v) => bound.has(v) || p.vars.includes(v))) continue;
    kept *= ctx.selectivity(c, p) ?? filterKeeps;
  }
  return kept;
}

function estimateStep(ctx: PlanContext, c: Clause, bound: ReadonlySet<string>, rows: number): PlanStep {
  switch (c.type) {
    case 'pattern':
      return estimatePattern(ctx, c, bound, rows);
    case 'predicate':
      return { clause: c, estimatedRows: rows * (ctx.selectivity(c, null) ?? filterKeeps) };
    case 'not':
      return { clause: c, estimatedRows: rows * filterKeeps };
    case 'function':
      return {
        clause: c,
        estimatedRows: c.binding.kind === 'scalar' || c.binding.kind === 'tuple' ? rows : rows * 4,
      };
    case 'or':
      return { clause: c, estimatedRows: sumBranches(ctx, c.branches, c.vars, bound, rows) };
    case 'rule':
      return { clause: c, estimatedRows: estimateRuleCall(ctx, c, bound, rows) };
  }
}

function sumBranches(
  ctx: PlanContext,
  branches: readonly (readonly Clause[])[],
  vars: readonly string[],
  bound: ReadonlySet<string>,
  rows: number,
): number {
  const shared = new Set(vars.filter((v) => bound.has(v)));
  let total = 0;
  for (const branch of branches) {
    // A branch may not be plannable yet (its variables bound later): rank it last for now.
    const steps = tryPlan(ctx, branch, shared, shared.size === 0 ? 1 : rows);
    if (steps === null) return Number.MAX_VALUE / 4;
    total += steps.length === 0 ? rows : steps[steps.length - 1].estimatedRows;
  }
  return shared.size === 0 ? rows * total : total;
}

function tryPlan(ctx: PlanContext, clauses: readonly Clause[], bound: ReadonlySet<string>, rows: number) {
  try {
    return planClauses(ctx, clauses, bound, rows);
  } catch (error) {
    if (error instanceof GswarmError) return null;
    throw error;
  }
}

function estimateRuleCall(
  ctx: PlanContext,
  c: RuleCallClause,
  bound: ReadonlySet<string>,
  rows: number,
): number {
  const known = ctx.ruleRows(c);
  const connected = c.args.some((t) => t.kind === 'const' || (t.kind === 'var' && bound.has(t.name)));
  if (known === undefined) return rows * (connected ? 4 : unknownRuleRows);
  return rows * (connected ? Math.min(known, Math.sqrt(known) + 1) : known);
}

function estimatePattern(
  ctx: PlanContext,
  p: PatternClause,
  bound: ReadonlySet<string>,
  rows: number,
): PlanStep {
  const resolved = ctx.resolve(p);
  const [e, a, v] = p.terms;
  const [eVar, aVar, vVar] = [isBoundVar(e, bound), isBoundVar(a, bound), isBoundVar(v, bound)];
  const eKnown = eVar || e.kind === 'const';
  const aKnown = aVar || a.kind === 'const';
  const vKnown = vVar || v.kind === 'const';
  const attr = resolved.attribute;
  const avet = attr !== undefined && (attr.indexed || attr.unique !== undefined || attr.valueType === 'ref');
  const index: IndexUse = eKnown ? 'EAVT' : aKnown && vKnown && avet ? 'AVET' : aKnown ? 'AEVT' : 'scan';
  const free = resolved.rows;
  if (!eVar && !aVar && !vVar) {
    return { clause: p, index, join: rows <= 1 ? undefined : 'product', estimatedRows: rows * free };
  }
  let perRow = free;
  if (eVar) perRow = attr === undefined ? Math.min(free, 8) : Math.min(free, attr.many ? 4 : 1);
  else if (vVar) perRow = attr?.unique !== undefined ? Math.min(free, 1) : Math.min(free, Math.sqrt(free));
  if (eVar && vVar) perRow = Math.min(perRow, 1);
  const join: JoinMethod = rows * (perRow + 1) <= free + rows ? 'lookup' : 'hash';
  return {
    clause: p,
    index: join === 'lookup' ? index : scanIndex(p, attr !== undefined),
    join,
    estimatedRows: rows * perRow,
  };
}

function isBoundVar(t: PatternClause['terms'][number], bound: ReadonlySet<string>): boolean {
  return t.kind === 'var' && bound.has(t.name);
}

/** The index a pattern scans with only its constants (the hash-join side). */
function scanIndex(p: PatternClause, hasAttribute: boolean): IndexUse {
  const [e, , v] = p.terms;
  if (e.kind === 'const') return 'EAVT';
  if (hasAttribute) return v.kind === 'const' ? 'AVET' : 'AEVT';
  return 'scan';
}

function stuck(ctx: PlanContext, clauses: readonly Clause[], bound: ReadonlySet<string>) {
  const c = clauses[0];
  const unbound = (vars: readonly string[]) => vars.filter((v) => !bound.has(v)).join(', ');
  switch (c.type) {
    case 'not':
      return c.joinVars === null
        ? queryError(`insufficient bindings: none of ${c.vars.join(', ')} is bound`, c.json)
        : queryError(`insufficient bindings: ${unbound(c.joinVars)} not bound`, c.json);
    case 'or':
      if (Array.isArray(c.json) && c.json[0] === 'or') {
        return queryError(
          `all branches of or must use the same variables, unless bound before the or: ${unbound(c.required)} used by only some branches and not bound (bind them first, or use or-join)`,
          c.json,
        );
      }
      return queryError(`insufficient bindings: required ${unbound(requiredVars(ctx, c))} not bound`, c.json);
    case 'rule':
      return queryError(`insufficient bindings: required ${unbound(requiredVars(ctx, c))} not bound`, c.json);
    default:
      return queryError(`unbound variable ${unbound(c.type === 'pattern' ? [] : c.vars)}`, c.json);
  }
}
