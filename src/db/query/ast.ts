/** The parsed form of a query: what the planner and the evaluator work on. Built by parse.ts. */

/** One argument or pattern position. `src` is the `$` database argument of get-else and missing?. */
export type Term =
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'const'; readonly value: unknown }
  | { readonly kind: 'blank' }
  | { readonly kind: 'src' };

/** How a function's result (or an input) binds variables; null stands for `_`. */
export type Binding =
  | { readonly kind: 'scalar'; readonly name: string }
  | { readonly kind: 'tuple'; readonly names: readonly (string | null)[] }
  | { readonly kind: 'collection'; readonly name: string }
  | { readonly kind: 'relation'; readonly names: readonly (string | null)[] };

export type InputBinding = Binding | { readonly kind: 'source' } | { readonly kind: 'rules' };

interface ClauseBase {
  /** The clause as written (JSON form): error messages and plans show it. */
  readonly json: unknown;
  /** Variables the clause shares with its surroundings; the planner orders clauses by them. */
  readonly vars: readonly string[];
}

/** `[e a v tx added]`; missing trailing positions are blanks. */
export interface PatternClause extends ClauseBase {
  readonly type: 'pattern';
  readonly terms: readonly [Term, Term, Term, Term, Term];
}

export interface PredicateClause extends ClauseBase {
  readonly type: 'predicate';
  readonly fn: string;
  readonly args: readonly Term[];
}

export interface FunctionClause extends ClauseBase {
  readonly type: 'function';
  readonly fn: string;
  readonly args: readonly Term[];
  readonly binding: Binding;
  /** Variables the binding introduces (vars holds only the argument variables). */
  readonly outVars: readonly string[];
}

/** `not` (joinVars null: every variable of the body joins) and `not-join`. */
export interface NotClause extends ClauseBase {
  readonly type: 'not';
  readonly joinVars: readonly string[] | null;
  readonly clauses: readonly Clause[];
}

/** `or` and `or-join`: a union of branches projected onto vars; `required` must be bound first. */
export interface OrClause extends ClauseBase {
  readonly type: 'or';
  readonly required: readonly string[];
  readonly branches: readonly (readonly Clause[])[];
}

export interface RuleCallClause extends ClauseBase {
  readonly type: 'rule';
  readonly name: string;
  readonly args: readonly Term[];
}

export type Clause = PatternClause | PredicateClause | FunctionClause | NotClause | OrClause | RuleCallClause;

export type FindElement =
  | { readonly kind: 'var'; readonly name: string }
  | {
      readonly kind: 'aggregate';
      readonly fn: string;
      readonly params: readonly unknown[];
      readonly name: string;
    }
  | { readonly kind: 'pull'; readonly name: string; readonly pattern: readonly unknown[] };

export interface FindSpec {
  readonly shape: 'relation' | 'collection' | 'scalar' | 'tuple';
  readonly elements: readonly FindElement[];
}

export interface ParsedQuery {
  readonly find: FindSpec;
  readonly with: readonly string[];
  readonly inputs: readonly InputBinding[];
  readonly where: readonly Clause[];
}

/** One definition of a rule: `[[name, ...params], ...body]`; the first `required` params must be bound. */
export interface RuleDefinition {
  readonly name: string;
  readonly params: readonly string[];
  readonly required: number;
  readonly body: readonly Clause[];
  readonly json: unknown;
}

export function isVar(x: unknown): x is string {
  return typeof x === 'string' && x.length > 1 && x[0] === '?';
}

/** The variables of a binding form, without blanks. */
export function bindingVars(binding: Binding): string[] {
  if (binding.kind === 'scalar' || binding.kind === 'collection') return [binding.name];
  return binding.names.filter((n): n is string => n !== null);
}
