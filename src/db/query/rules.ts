/**
 * Rules passed as `%`. Rules that do not recurse are expanded at the call, seeded with the
 * caller's bound values. Recursive rules (a strongly connected component of the call graph) are
 * computed bottom-up once per query by semi-naive fixpoint: each round re-evaluates a body once
 * per recursive call in it, with that call reading only the rows new in the last round (the
 * delta) and the others the full relation, until a round adds nothing.
 */
import type { Clause, RuleCallClause, RuleDefinition, Term } from './ast.js';
import { type Env, evaluateClauses } from './evaluate.js';
import { queryError } from './query-error.js';
import { join, project, Relation, RowSet } from './relation.js';
import { valueEquals } from './values.js';

/** A bound on fixpoint rounds: only functions that invent values can make a fixpoint diverge. */
const fixpointRoundsMax = 100_000;

interface RecursionFrame {
  readonly members: ReadonlySet<string>;
  full: Map<string, Relation>;
  delta: Map<string, Relation>;
  /** The one recursive call reading the delta this evaluation; null in the first round. */
  deltaCall: RuleCallClause | null;
}

export interface RuleEnv {
  readonly rules: RuleBook;
  frame: RecursionFrame | null;
  /** Relations of recursive components computed so far in this query, by component. */
  readonly fixpoints: Map<number, Map<string, Relation>>;
}

export class RuleBook {
  private readonly byName = new Map<string, RuleDefinition[]>();
  private readonly componentOf = new Map<string, number>();
  private readonly recursive = new Set<number>();
  private readonly members = new Map<number, string[]>();
  private readonly calls = new Map<RuleDefinition, RuleCallClause[]>();

  constructor(definitions: readonly RuleDefinition[]) {
    for (const d of definitions) {
      const same = this.byName.get(d.name) ?? [];
      if (same.length > 0 && same[0].params.length !== d.params.length) {
        throw queryError(`rule ${d.name} is defined with different arities`, d.json);
      }
      if (new Set(d.params).size !== d.params.length) throw queryError('rule parameters must differ', d.json);
      this.byName.set(d.name, [...same, d]);
      this.calls.set(d, ruleCalls(d.body, d.json, false));
    }
    this.findComponents();
  }

  definitionsFor(call: RuleCallClause): readonly RuleDefinition[] {
    const definitions = this.byName.get(call.name);
    if (definitions === undefined) throw queryError(`unknown rule ${call.name}`, call.json);
    const arity = definitions[0].params.length;
    if (arity !== call.args.length) {
      throw queryError(`rule ${call.name} takes ${arity} arguments, got ${call.args.length}`, call.json);
    }
    return definitions;
  }

  /** The definitions of a rule known to exist. */
  definitions(name: string): readonly RuleDefinition[] {
    return this.byName.get(name)!;
  }

  component(name: string): number {
    return this.componentOf.get(name)!;
  }

  isRecursive(name: string): boolean {
    return this.recursive.has(this.component(name));
  }

  componentMembers(component: number): readonly string[] {
    return this.members.get(component)!;
  }

  /** The calls in a definition's body to rules of its own component: where deltas enter. */
  recursiveCalls(d: RuleDefinition): RuleCallClause[] {
    const own = this.component(d.name);
    const found = this.calls.get(d)!.filter((c) => this.componentOf.get(c.name) === own);
    const negated = ruleCalls(d.body, d.json, true).filter((c) => this.componentOf.get(c.name) === own);
    if (negated.length > 0) throw queryError(`rule ${d.name} recurses through not`, negated[0].json);
    return found;
  }

  /** Tarjan's strongly connected components over the call graph. */
  private findComponents(): void {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const visit = (name: string): void => {
      index.set(name, index.size);
      low.set(name, index.get(name)!);
      stack.push(name);
      for (const callee of this.callees(name)) {
        if (!index.has(callee)) {
          visit(callee);
          low.set(name, Math.min(low.get(name)!, low.get(callee)!));
        } else if (stack.includes(callee)) low.set(name, Math.min(low.get(name)!, index.get(callee)!));
      }
      if (low.get(name) !== index.get(name)) return;
      const id = this.members.size;
      const members: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        members.push(member);
        this.componentOf.set(member, id);
      } while (member !== name);
      this.members.set(id, members);
      if (members.length > 1 || this.callees(name).includes(name)) this.recursive.add(id);
    };
    for (const name of this.byName.keys()) if (!index.has(name)) visit(name);
  }

  private callees(name: string): string[] {
    const defs = this.byName.get(name) ?? [];
    return defs.flatMap((d) => this.calls.get(d)!.map((c) => c.name)).filter((n) => this.byName.has(n));
  }
}

/** Rule calls in clauses, through or branches; with `negated`, only those under not. */
function ruleCalls(
  clauses: readonly Clause[],
  json: unknown,
  negated: boolean,
  underNot = false,
): RuleCallClause[] {
  return clauses.flatMap((c): RuleCallClause[] => {
    if (c.type === 'rule') return negated === underNot ? [c] : [];
    if (c.type === 'or') return c.branches.flatMap((b) => ruleCalls(b, json, negated, underNot));
    if (c.type === 'not') return ruleCalls(c.clauses, json, negated, true);
    return [];
  });
}

const positional = (arity: number) => Array.from({ length: arity }, (_, i) => `%${i}`);

/** Rows of a rule's relation when already known, for the planner. */
export function knownRuleRows(env: RuleEnv, call: RuleCallClause): number | undefined {
  const frame = env.frame;
  if (frame?.members.has(call.name)) return ruleRelation(frame, call).size;
  if (!env.rules.isRecursive(call.name)) return undefined;
  return env.fixpoints.get(env.rules.component(call.name))?.get(call.name)?.size;
}

function ruleRelation(frame: RecursionFrame, call: RuleCallClause): Relation {
  return (frame.deltaCall === call ? frame.delta : frame.full).get(call.name)!;
}

export function evaluateRuleCall(env: Env, rel: Relation, call: RuleCallClause): Relation {
  const definitions = env.rules.definitionsFor(call);
  let result: Relation;
  if (env.frame?.members.has(call.name)) result = ruleRelation(env.frame, call);
  else if (env.rules.isRecursive(call.name))
    result = fixpoint(env, env.rules.component(call.name)).get(call.name)!;
  else result = expand(env, rel, call, definitions);
  return join(rel, bindArguments(result, call));
}

/** A positional rule relation as a relation over the call's variables, checking constants and repeats. */
function bindArguments(result: Relation, call: RuleCallClause): Relation {
  const vars: string[] = [];
  const firstAt: number[] = call.args.map((t, i) => {
    if (t.kind !== 'var') return -1;
    const seen = vars.indexOf(t.name);
    if (seen >= 0) return call.args.findIndex((u) => u.kind === 'var' && u.name === t.name);
    vars.push(t.name);
    return i;
  });
  const out = new Relation(vars);
  for (let r = 0, offset = 0; r < result.size; r++, offset += result.width) {
    if (!argumentsFit(call.args, firstAt, result.data, offset)) continue;
    firstAt.forEach((first, i) => {
      if (first === i) out.data.push(result.data[offset + i]);
    });
    out.endRow();
  }
  return out;
}

function argumentsFit(
  args: readonly Term[],
  firstAt: number[],
  data: readonly unknown[],
  offset: number,
): boolean {
  for (let i = 0; i < args.length; i++) {
    const t = args[i];
    if (t.kind === 'const' && !valueEquals(data[offset + i], t.value)) return false;
    if (t.kind === 'var' && firstAt[i] !== i && !valueEquals(data[offset + i], data[offset + firstAt[i]]))
      return false;
  }
  return true;
}

/** A non-recursive rule: each definition evaluated on the caller's bound values, united. */
function expand(
  env: Env,
  rel: Relation,
  call: RuleCallClause,
  definitions: readonly RuleDefinition[],
): Relation {
  const boundVars = [
    ...new Set(call.args.flatMap((t) => (t.kind === 'var' && rel.has(t.name) ? [t.name] : []))),
  ];
  const outer = project(rel, boundVars);
  const union = new RowSet(positional(call.args.length));
  for (const d of definitions) union.addAll(evaluateDefinition(env, d, seedFor(d, call, outer)));
  return union.rel;
}

/** The seed of a definition: its parameters at bound or constant arguments, from the caller's rows. */
function seedFor(d: RuleDefinition, call: RuleCallClause, outer: Relation): Relation {
  const sources = call.args.map((t) =>
    t.kind === 'var' ? outer.column(t.name) : t.kind === 'const' ? -2 : -1,
  );
  const params = d.params.filter((_, i) => sources[i] !== -1);
  const seed = new Relation(params);
  for (let r = 0, offset = 0; r < outer.size; r++, offset += outer.width) {
    call.args.forEach((t, i) => {
      if (sources[i] >= 0) seed.data.push(outer.data[offset + sources[i]]);
      else if (sources[i] === -2) seed.data.push((t as { value: unknown }).value);
    });
    seed.endRow();
  }
  return seed;
}

/** One definition's body evaluated from a seed, as a positional relation over its parameters. */
function evaluateDefinition(env: Env, d: RuleDefinition, seed: Relation): Relation {
  const out = evaluateClauses(env, d.body, seed);
  const unbound = d.params.filter((p) => !out.has(p));
  if (unbound.length > 0) throw queryError(`rule ${d.name} does not bind ${unbound.join(', ')}`, d.json);
  const projected = project(out, d.params);
  return new Relation(positional(d.params.length), projected.data, projected.size);
}

function fixpoint(env: Env, component: number): Map<string, Relation> {
  const cached = env.fixpoints.get(component);
  if (cached !== undefined) return cached;
  const names = env.rules.componentMembers(component);
  const sets = new Map(names.map((n) => [n, new RowSet(positional(arityOf(env, n)))]));
  const frame: RecursionFrame = {
    members: new Set(names),
    full: new Map(names.map((n) => [n, sets.get(n)!.rel])),
    delta: new Map(),
    deltaCall: null,
  };
  const saved = env.frame;
  env.frame = frame;
  try {
    let rounds = 0;
    let delta = runRound(env, frame, sets, true);
    while ([...delta.values()].some((d) => d.size > 0)) {
      if (++rounds > fixpointRoundsMax) {
        throw queryError(
          `recursive rules ${names.join(', ')} did not converge in ${fixpointRoundsMax} rounds`,
          names,
        );
      }
      frame.delta = delta;
      delta = runRound(env, frame, sets, false);
    }
  } finally {
    env.frame = saved;
  }
  const full = new Map(names.map((n) => [n, sets.get(n)!.rel]));
  env.fixpoints.set(component, full);
  return full;
}

function arityOf(env: Env, name: string): number {
  return env.rules.definitions(name)[0].params.length;
}

/**
 * One round: every body (first round) or every body once per recursive call reading the delta.
 * Rows are added to the full relations only after the round, so a round reads one state.
 */
function runRound(
  env: Env,
  frame: RecursionFrame,
  sets: Map<string, RowSet>,
  first: boolean,
): Map<string, Relation> {
  const derived: [string, Relation][] = [];
  for (const name of frame.members) {
    for (const d of env.rules.definitions(name)) {
      const deltaCalls = first ? [null] : env.rules.recursiveCalls(d);
      for (const call of deltaCalls) {
        frame.deltaCall = call;
        derived.push([name, evaluateDefinition(env, d, Relation.unit())]);
      }
    }
  }
  frame.deltaCall = null;
  const added = new Map<string, Relation>();
  for (const [name, rows] of derived) {
    const fresh = sets.get(name)!.addAll(rows);
    const before = added.get(name);
    added.set(name, before === undefined ? fresh : concat(before, fresh));
  }
  return added;
}

function concat(a: Relation, b: Relation): Relation {
  return new Relation(a.vars, a.data.concat(b.data), a.size + b.size);
}
