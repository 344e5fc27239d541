/**
 * Datalog queries over a QuerySource, in Datascript's language (JSON form, or its EDN string).
 * The grammar is in parse.ts; evaluation in evaluate.ts, with its differences from Datascript.
 */
import type { ParsedQuery } from './ast.js';
import { defaultQueryLimits, type QueryLimits, withinBudget } from './budget.js';
import { type Builtin, builtins } from './builtins.js';
import { type Env, evaluateClauses } from './evaluate.js';
import { explainQuery, type Plan } from './explain.js';
import type { Scope } from './filters.js';
import { findResult } from './find.js';
import { type BoundInputs, bindInputs } from './inputs.js';
import { parse, parseRules, type Query } from './parse.js';
import { queryError } from './query-error.js';
import { RuleBook } from './rules.js';
import type { QuerySource, Source } from './source.js';

export type { ParsedQuery } from './ast.js';
export { defaultQueryLimits, type QueryLimits } from './budget.js';
export type { Plan, PlanStepJson } from './explain.js';
export type { Query } from './parse.js';
export type { Source, TupleCollection } from './source.js';

/** Parsed queries kept by their text; the oldest is dropped beyond the limit. */
const parseCacheEntriesMax = 512;
const parseCache = new Map<string, ParsedQuery>();
const parsedQueries = new WeakSet<ParsedQuery>();
const parsedObjects = new WeakMap<object, ParsedQuery>();

/** Parses a query once: the same text, object or parsed query returns the same ParsedQuery. */
export function parseQuery(query: Query | string | ParsedQuery): ParsedQuery {
  if (typeof query === 'object' && parsedQueries.has(query as ParsedQuery)) return query as ParsedQuery;
  const byObject = typeof query === 'object' ? parsedObjects.get(query) : undefined;
  if (byObject !== undefined) return byObject;
  const text = typeof query === 'string' ? query : JSON.stringify(query);
  let parsed = parseCache.get(text);
  if (parsed === undefined) {
    parsed = parse(query as Query | string);
    parsedQueries.add(parsed);
    parseCache.set(text, parsed);
    if (parseCache.size > parseCacheEntriesMax) parseCache.delete(parseCache.keys().next().value!);
  }
  if (typeof query === 'object') parsedObjects.set(query, parsed);
  return parsed;
}

/** How one query runs: its inputs, named sources and budgets (defaults: defaultQueryLimits). */
export interface QueryOptions extends Partial<QueryLimits> {
  /** Values of the entries of `in` other than `$` and the named sources, in order. */
  readonly inputs?: readonly unknown[];
  /** Sources by name (`$then`, `$2`): database views or collections of tuples. */
  readonly sources?: Readonly<Record<string, Source>>;
  /** The clock the time budget reads, in ms (default: performance.now). */
  readonly now?: () => number;
}

/**
 * Runs a query; `source` is `$`, and `inputs` follow the other entries of `in`, in order
 * (further sources, such as `$2` or `$then`, included: `q(db, query, db.asOf(t1))`).
 */
export function q(source: QuerySource, query: Query | string | ParsedQuery, ...inputs: unknown[]): unknown {
  return queryWith(source, query, { inputs });
}

/** Runs a query with options: `source` is `$`; see QueryOptions. */
export function queryWith(
  source: QuerySource,
  query: Query | string | ParsedQuery,
  options: QueryOptions = {},
): unknown {
  const parsed = parseQuery(query);
  const limits: QueryLimits = {
    queryMsMax: options.queryMsMax ?? defaultQueryLimits.queryMsMax,
    queryRowsMax: options.queryRowsMax ?? defaultQueryLimits.queryRowsMax,
  };
  return withinBudget(limits, options.now ?? performanceNow, () => {
    const { env, context, scalars } = prepare(source, parsed, options);
    return findResult({ scope: env.scope, scalars }, parsed, evaluateClauses(env, parsed.where, context));
  });
}

const performanceNow = () => performance.now();

/** The plan q would follow, without evaluating: clause order, indexes, joins, estimated rows. */
export function explain(
  source: QuerySource,
  query: Query | string | ParsedQuery,
  ...inputs: unknown[]
): Plan {
  const parsed = parseQuery(query);
  const { env, context } = prepare(source, parsed, { inputs });
  return explainQuery(env, parsed, context);
}

function prepare(source: QuerySource, parsed: ParsedQuery, options: QueryOptions) {
  const named = new Map(Object.entries(options.sources ?? {}));
  const bound = bindInputs(parsed.inputs, options.inputs ?? [], source, named);
  const env: Env = {
    source,
    scope: inputScope(bound),
    rules: bound.rules === undefined ? noRules : ruleBook(parseRulesCached(bound.rules)),
    frame: null,
    fixpoints: new Map(),
    resolved: new Map(),
    selectivities: new Map(),
  };
  return { env, context: bound.context, scalars: bound.scalars };
}

/** Sources and functions by name: built-ins, and the function inputs of this query. */
function inputScope(bound: BoundInputs): Scope {
  const wrapped = new Map<string, Builtin>();
  return {
    source(name) {
      const found = bound.sources.get(name);
      if (found === undefined) throw queryError(`unknown source ${name}`, name);
      return found;
    },
    fn(name, json) {
      const builtin = builtins.get(name);
      if (builtin !== undefined) return builtin;
      let fn = wrapped.get(name);
      if (fn === undefined) {
        const input = bound.functions.get(name);
        if (input === undefined)
          throw queryError(`${name} is not bound to a function: pass a function as the input ${name}`, json);
        wrapped.set(name, (fn = (args) => input(...args)));
      }
      return fn;
    },
  };
}

/** Rule books hold only what their definitions imply: one per parsed rule set serves every query. */
const noRules = new RuleBook([]);
const ruleBooks = new WeakMap<object, RuleBook>();

function ruleBook(definitions: ReturnType<typeof parseRules>): RuleBook {
  let book = ruleBooks.get(definitions);
  if (book === undefined) ruleBooks.set(definitions, (book = new RuleBook(definitions)));
  return book;
}

const parsedRules = new WeakMap<object, ReturnType<typeof parseRules>>();
const parsedRuleTexts = new Map<string, ReturnType<typeof parseRules>>();

function parseRulesCached(rules: unknown): ReturnType<typeof parseRules> {
  if (typeof rules === 'string') {
    let parsed = parsedRuleTexts.get(rules);
    if (parsed === undefined) {
      parsedRuleTexts.set(rules, (parsed = parseRules(rules)));
      if (parsedRuleTexts.size > parseCacheEntriesMax)
        parsedRuleTexts.delete(parsedRuleTexts.keys().next().value!);
    }
    return parsed;
  }
  if (typeof rules !== 'object' || rules === null) return parseRules(rules);
  let parsed = parsedRules.get(rules);
  if (parsed === undefined) parsedRules.set(rules, (parsed = parseRules(rules)));
  return parsed;
}
