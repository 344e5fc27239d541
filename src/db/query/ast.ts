/** The parsed form of a query: what the planner and the evaluator work on. Built by parse.ts. */

/** One argument or pattern position. `src` is a source argument (`$`, `$2`) of get-else, missing?… */
export type Term =
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'const'; readonly value: unknown }
  | { readonly kind: 'blank' }
  | { readonly kind: 'src'; readonly name: string };

/**
 * How a function's result (or an input) binds variables: a variable, `_`, a tuple of bindings,
 * or a collection whose every item binds (a relation is a collection of tuples).
 */
export type Binding =
  | { readonly kind: 'scalar'; readonly name: string }
  | { readonly kind: 'blank' }
  | { readonly kind: 'tuple'; readonly items: readonly Binding[] }
  | { readonly kind: 'collection'; readonly item: Binding };

export type InputBinding =
  | Binding
  | { readonly kind: 'source'; readonly name: string }
  | { readonly kind: 'rules' };

interface ClauseBase {
  /** The clause as written (JSON form): error messages and plans show it. */
  readonly json: unknown;
  /** Variables the clause shares with its surroundings; the planner orders clauses by them. */
  readonly vars: readonly string[];
}

/**
 * The source a clause reads: a name (`$`, `$2`) written before it, or null for the implicit one
 * (`$`, or the source a rule call, not or or written with one runs its body on).
 */
interface Sourced {
  readonly src: string | null;
}

/** `[e a v tx added]`; missing trailing positions are blanks. */
export interface PatternClause extends ClauseBase, Sourced {
  readonly type: 'pattern';
  readonly terms: readonly [Term, Term, Term, Term, Term];
}

export interface PredicateClause extends ClauseBase {
  readonly type: 'predicate';
  /** A built-in's name, or a variable bound to a function input (library API). */
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
export interface NotClause extends ClauseBase, Sourced {
  readonly type: 'not';
  readonly joinVars: readonly string[] | null;
  readonly clauses: readonly Clause[];
}

/** `or` and `or-join`: a union of branches projected onto vars; `required` must be bound first. */
export interface OrClause extends ClauseBase, Sourced {
  readonly type: 'or';
  readonly required: readonly string[];
  readonly branches: readonly (readonly Clause[])[];
}

export interface RuleCallClause extends ClauseBase, Sourced {
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
  | {
      readonly kind: 'pull';
      readonly name: string;
      /** The pull pattern, or the variable of a scalar input holding it. */
      readonly pattern: readonly unknown[] | string;
      readonly src: string;
    };

export interface FindSpec {
  readonly shape: 'relation' | 'collection' | 'scalar' | 'tuple';
  readonly elements: readonly FindElement[];
  /** Return maps (`:keys`, `:syms`, `:strs`): each result tuple as an object with these keys. */
  readonly keys: readonly string[] | null;
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

/** The variables of a binding form, without blanks, each once. */
export function bindingVars(binding: Binding): string[] {
  switch (binding.kind) {
    case 'scalar':
      return [binding.name];
    case 'blank':
      return [];
    case 'tuple':
      return [...new Set(binding.items.flatMap(bindingVars))];
    case 'collection':
      return bindingVars(binding.item);
  }
}

/** A binding form as written (JSON), for messages. */
export function bindingJson(binding: Binding): unknown {
  switch (binding.kind) {
    case 'scalar':
      return binding.name;
    case 'blank':
      return '_';
    case 'tuple':
      return binding.items.map(bindingJson);
    case 'collection':
      return binding.item.kind === 'tuple' ? [bindingJson(binding.item)] : [bindingJson(binding.item), '...'];
  }
}
