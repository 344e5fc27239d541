/** The plan of a query as plain JSON: each clause in the order chosen, its index, join and estimate. */
import type { Clause, ParsedQuery } from './ast.js';
import { type Env, planContext } from './evaluate.js';
import { bindsOf, planClauses } from './plan.js';
import type { Relation } from './relation.js';

export interface PlanStepJson {
  clause: unknown;
  kind: Clause['type'];
  /** The index a pattern reads: EAVT with the entity known, AVET with attribute and value, AEVT, or scan. */
  index?: string;
  /** lookup: one index read per row so far; hash: one scan hash-joined; product: no shared variable. */
  join?: string;
  estimatedRows: number;
  /** The plans of not's body or of each or branch, from the variables they share. */
  branches?: PlanStepJson[][];
}

export interface Plan {
  find: unknown;
  inputRows: number;
  steps: PlanStepJson[];
}

export function explainQuery(env: Env, query: ParsedQuery, context: Relation): Plan {
  return {
    find: query.find.elements.map((e) => e.name),
    inputRows: context.size,
    steps: explainClauses(env, query.where, new Set(context.vars), context.size),
  };
}

function explainClauses(
  env: Env,
  clauses: readonly Clause[],
  bound: Set<string>,
  rows: number,
): PlanStepJson[] {
  const steps = planClauses(planContext(env), clauses, bound, rows);
  const boundNow = new Set(bound);
  return steps.map((step) => {
    const { clause } = step;
    const json: PlanStepJson = {
      clause: clause.json,
      kind: clause.type,
      estimatedRows: Math.round(step.estimatedRows),
    };
    if (step.index !== undefined) json.index = step.index;
    if (step.join !== undefined) json.join = step.join;
    const shared = new Set(clause.vars.filter((v) => boundNow.has(v)));
    if (clause.type === 'not') json.branches = [explainClauses(env, clause.clauses, shared, rows)];
    if (clause.type === 'or')
      json.branches = clause.branches.map((b) => explainClauses(env, b, shared, rows));
    for (const v of bindsOf(clause)) boundNow.add(v);
    return json;
  });
}
