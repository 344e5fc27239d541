/**
 * Evaluates clause lists bottom-up over one relation: each planned clause extends, filters or
 * joins the rows so far. Sub-clauses (not, or, rule bodies) run on a seed holding only the
 * distinct values of the variables they share, and their result is joined back; a `not` whose
 * body is one pattern (and predicates over it) is an anti-join on the rows themselves.
 *
 * Predicates run inside the pattern that binds their last variable (see patterns.ts): on the
 * same rows as a step of their own would, except that comparisons and other predicates that
 * cannot fail may also see datoms of a scan that the following hash join drops.
 *
 * Deliberate differences from Datascript:
 * - An attribute the schema does not have is an error (Datascript returns no rows).
 * - Clauses run in the planner's order, so `not`, `or` and predicates see every variable they
 *   share with the other clauses bound, whatever the written order. A predicate that throws
 *   on some values therefore fails or not by the plan, which depends on the data (estimates,
 *   sampled values); Datascript's by the written order.
 * - Mixed-type comparisons follow Datascript's value-compare (null < boolean < number < string
 *   < vector) in predicates and in min/max aggregates alike; Datascript's aggregates throw.
 * - Arithmetic takes numbers only; sum, avg, median, variance and stddev aggregate numbers only.
 * - `$` is always the database the query runs on, declared in `in` or not; other sources
 *   (`$2`, `$then`) must be declared. An undeclared source is refused when the query is parsed.
 * - In JSON a clause cannot tell a list from a vector: `[[f, x], ?y]` is a pattern on the lookup
 *   ref `[f, x]` unless `f` names a built-in or a variable appears in it (EDN text is read the
 *   same way).
 * - A lookup ref (bound by an input) that names nothing is an error wherever a pattern matches
 *   it; Datascript throws for a scalar input but may return no rows for a collection or relation
 *   of them, by its join strategy. get-else, missing? and pull treat it as no entity.
 * - Every query runs under time and row budgets (budget.ts); Datascript has none.
 * - rand and sample use Math.random: unseeded, as in Datascript.
 */
import type {
  Binding,
  Clause,
  FunctionClause,
  NotClause,
  OrClause,
  PatternClause,
  PredicateClause,
  Term,
} from './ast.js';
import { bindingJson, bindingVars } from './ast.js';
import { spend } from './budget.js';
import { clauseError, type Scope } from './filters.js';
import {
  antiMatchPattern,
  filterRelation,
  matchPattern,
  type ResolvedPattern,
  resolvePattern,
} from './patterns.js';
import { type PlanContext, planClauses } from './plan.js';
import { queryError } from './query-error.js';
import { antiJoin, distinct, join, project, Relation, RowSet } from './relation.js';
import { evaluateRuleCall, knownRuleRows, type RuleEnv } from './rules.js';
import { sampledSelectivity } from './selectivity.js';
import { isDatabase, type QuerySource, type Source } from './source.js';
import { matchTuples, tuplesResolved } from './tuples.js';
import { valueEquals } from './values.js';

export interface Env extends RuleEnv {
  /** The implicit source: `$`, or the one a rule call, not or or names for its body. */
  readonly source: QuerySource;
  /** What source and function-input names refer to. */
  readonly scope: Scope;
  /** Pattern constants resolved against the implicit source (or the pattern's own). */
  readonly resolved: Map<PatternClause, ResolvedPattern>;
  /** Sampled shares of rows predicates keep (see selectivity.ts). */
  readonly selectivities: Map<PredicateClause, number>;
}

export function planContext(env: Env): PlanContext {
  return {
    // Methods, not arrow properties: no function naming at run time per evaluation.
    resolve(p) {
      return resolved(env, p);
    },
    ruleDefinitions(call) {
      return env.rules.definitionsFor(call);
    },
    ruleRows(call) {
      return knownRuleRows(env, call);
    },
    selectivity(pred, pattern) {
      return selectivity(env, pred, pattern);
    },
  };
}

function selectivity(env: Env, pred: PredicateClause, pattern: PatternClause | null): number | undefined {
  const known = env.selectivities.get(pred);
  if (known !== undefined || pattern === null) return known;
  const source = patternSource(env, pattern);
  if (!isDatabase(source)) return undefined;
  const sampled = sampledSelectivity(source, env.scope, pred, pattern, resolved(env, pattern));
  if (sampled !== undefined) env.selectivities.set(pred, sampled);
  return sampled;
}

function resolved(env: Env, p: PatternClause): ResolvedPattern {
  let r = env.resolved.get(p);
  if (r === undefined) {
    const source = patternSource(env, p);
    r = isDatabase(source) ? resolvePattern(source, p) : tuplesResolved(source);
    env.resolved.set(p, r);
  }
  return r;
}

/** The source a pattern reads: the one written before it, or the implicit one. */
function patternSource(env: Env, p: PatternClause): Source {
  return p.src === null ? env.source : env.scope.source(p.src);
}

/**
 * The environment a rule call, not or or written with a source evaluates its body in: that
 * source is the implicit one there (with caches of its own, since they hold resolved patterns).
 */
function scoped(env: Env, clause: { readonly src: string | null; readonly json: unknown }): Env {
  if (clause.src === null) return env;
  const source = env.scope.source(clause.src);
  if (source === env.source) return env;
  if (!isDatabase(source)) {
    throw queryError(
      `${clause.src} is a collection of tuples: only a database can be the source of a rule call, not or or`,
      clause.json,
    );
  }
  return { ...env, source, resolved: new Map(), selectivities: new Map(), fixpoints: new Map() };
}

export function evaluateClauses(env: Env, clauses: readonly Clause[], seed: Relation): Relation {
  const steps = planClauses(planContext(env), clauses, new Set(seed.vars), seed.size);
  let rel = seed;
  for (let i = 0; i < steps.length; i++) {
    const clause = steps[i].clause;
    if (clause.type !== 'pattern') {
      rel = evaluateClause(env, rel, clause, noFilters);
      continue;
    }
    // The predicates the planner placed right after a pattern became ready through it: they run
    // inside the pattern's visit, so rows that fail them are never built.
    const filters: PredicateClause[] = [];
    while (i + 1 < steps.length && steps[i + 1].clause.type === 'predicate')
      filters.push(steps[++i].clause as PredicateClause);
    rel = evaluateClause(env, rel, clause, filters);
  }
  return rel;
}

const noFilters: readonly PredicateClause[] = [];
/** The fixed cost of evaluating a clause (planning, allocation) in budget units, about as many rows. */
const clauseStepUnits = 16;

function evaluateClause(
  env: Env,
  rel: Relation,
  clause: Clause,
  filters: readonly PredicateClause[],
): Relation {
  if (rel.size === 0) return new Relation(varsAfter(rel, clause));
  // Many small steps (fixpoint rounds, rule expansions) count against the time budget too.
  spend(rel.size + clauseStepUnits);
  try {
    switch (clause.type) {
      case 'pattern': {
        const source = patternSource(env, clause);
        if (!isDatabase(source)) return filterRelation(env.scope, matchTuples(source, rel, clause), filters);
        return matchPattern(source, env.scope, rel, clause, resolved(env, clause), filters);
      }
      case 'predicate':
        return filterRelation(env.scope, rel, [clause]);
      case 'function':
        return bindFunction(env, rel, clause);
      case 'not':
        return evaluateNot(scoped(env, clause), rel, clause);
      case 'or':
        return evaluateOr(scoped(env, clause), rel, clause);
      case 'rule':
        return evaluateRuleCall(scoped(env, clause), rel, clause);
    }
  } catch (error) {
    throw clauseError(error, clause.json);
  }
}

function varsAfter(rel: Relation, clause: Clause): string[] {
  const binds = clause.type === 'function' ? clause.outVars : clause.type === 'not' ? [] : clause.vars;
  return [...rel.vars, ...binds.filter((v) => !rel.has(v) && clause.type !== 'predicate')];
}

/** Reads a clause's arguments from a row into one reused array. */
function argumentReader(env: Env, rel: Relation, args: readonly Term[], json: unknown) {
  const values = new Array<unknown>(args.length);
  const columns = args.map((t) => {
    if (t.kind !== 'var') return -1;
    const c = rel.column(t.name);
    if (c < 0) throw queryError(`unbound variable ${t.name}`, json);
    return c;
  });
  args.forEach((t, i) => {
    values[i] = t.kind === 'const' ? t.value : t.kind === 'src' ? env.scope.source(t.name) : undefined;
  });
  return (offset: number): unknown[] => {
    for (let i = 0; i < columns.length; i++) if (columns[i] >= 0) values[i] = rel.data[offset + columns[i]];
    return values;
  };
}

function bindFunction(env: Env, rel: Relation, c: FunctionClause): Relation {
  const fn = env.scope.fn(c.fn, c.json);
  const read = argumentReader(env, rel, c.args, c.json);
  const bind = binder(rel, c.binding, c.json);
  for (let r = 0, offset = 0; r < rel.size; r++, offset += rel.width) {
    const result = fn(read(offset));
    if (result !== null && result !== undefined) bind.add(offset, result);
  }
  return c.binding.kind === 'scalar' ? bind.out : distinct(bind.out);
}

/**
 * Binds values to a binding form for one row at a time: new variables extend the row, already
 * bound ones (and a variable repeated in the form) must be equal. Also binds query inputs (on
 * the unit relation).
 */
export function binder(rel: Relation, binding: Binding, json: unknown) {
  const fresh = bindingVars(binding).filter((v) => !rel.has(v));
  const out = new Relation([...rel.vars, ...fresh]);
  const values = new Array<unknown>(fresh.length);
  const assigned = new Array<boolean>(fresh.length).fill(false);
  let offset = 0;
  const emit = () => {
    for (let i = 0; i < rel.width; i++) out.data.push(rel.data[offset + i]);
    for (let i = 0; i < values.length; i++) out.data.push(values[i]);
    out.endRow();
  };
  const items = (value: unknown, form: Binding, length: number): readonly unknown[] => {
    if (Array.isArray(value) && value.length >= length) return value;
    throw queryError(
      `cannot bind ${JSON.stringify(value)} to ${JSON.stringify(bindingJson(form))}: expected ${form.kind === 'tuple' ? `a tuple of at least ${length} values` : 'a collection'}`,
      json,
    );
  };
  const walk = (form: Binding, value: unknown, next: () => void): void => {
    switch (form.kind) {
      case 'blank':
        next();
        return;
      case 'scalar': {
        const column = rel.column(form.name);
        if (column >= 0) {
          if (valueEquals(rel.data[offset + column], value)) next();
          return;
        }
        const i = fresh.indexOf(form.name);
        if (assigned[i]) {
          if (valueEquals(values[i], value)) next();
          return;
        }
        values[i] = value;
        assigned[i] = true;
        next();
        assigned[i] = false;
        return;
      }
      case 'tuple': {
        const tuple = items(value, form, form.items.length);
        const step = (k: number): void => {
          if (k === form.items.length) next();
          else walk(form.items[k], tuple[k], () => step(k + 1));
        };
        step(0);
        return;
      }
      case 'collection':
        for (const item of items(value, form, 0)) walk(form.item, item, next);
    }
  };
  const add = (rowOffset: number, value: unknown): void => {
    offset = rowOffset;
    walk(binding, value, emit);
  };
  return { out, add };
}

function evaluateNot(env: Env, rel: Relation, c: NotClause): Relation {
  const joinVars = c.joinVars ?? c.vars.filter((v) => rel.has(v));
  const direct = notOfOnePattern(env, rel, c, joinVars);
  if (direct !== undefined) return direct;
  const seed = project(rel, joinVars);
  const matched = evaluateClauses(env, c.clauses, seed);
  return antiJoin(rel, project(matched, joinVars));
}

/**
 * A body of one pattern and predicates over its variables runs as an anti-join on the outer rows
 * themselves (lookups or one scan), without the seed, the body's rows and the join back.
 */
function notOfOnePattern(env: Env, rel: Relation, c: NotClause, joinVars: readonly string[]) {
  const patterns = c.clauses.filter((x) => x.type === 'pattern');
  if (patterns.length !== 1 || c.clauses.some((x) => x.type !== 'pattern' && x.type !== 'predicate')) return;
  const [p] = patterns as PatternClause[];
  const outer = p.vars.filter((v) => rel.has(v));
  if (outer.length !== joinVars.length || !joinVars.every((v) => outer.includes(v))) return;
  const filters = c.clauses.filter((x) => x.type === 'predicate') as PredicateClause[];
  if (!filters.every((f) => f.vars.every((v) => p.vars.includes(v)))) return;
  const source = patternSource(env, p);
  if (!isDatabase(source)) return;
  return antiMatchPattern(source, env.scope, rel, p, resolved(env, p), filters);
}

function evaluateOr(env: Env, rel: Relation, c: OrClause): Relation {
  const seed = project(
    rel,
    c.vars.filter((v) => rel.has(v)),
  );
  const union = new RowSet(c.vars);
  for (const branch of c.branches) {
    const out = evaluateClauses(env, branch, seed);
    const missing = c.vars.filter((v) => !out.has(v));
    if (missing.length > 0) throw queryError(`an or branch does not bind ${missing.join(', ')}`, c.json);
    union.addAll(out);
  }
  return join(rel, union.rel);
}
