/**
 * The accepted query grammar (Datascript's, in JSON form; the EDN form reads into it, see edn.ts):
 *
 *   query       := { find: find-spec, keys?|syms?|strs?: [name+], with?: [var+], in?: [input+],
 *                    where?: [clause+] } | EDN string
 *                  keys/syms/strs: return maps, each relation tuple as an object with these keys
 *   find-spec   := [elem+]                 relation: an array of unique tuples
 *                | [elem, "."]             scalar: the first value, or null
 *                | [[elem, "..."]]         collection: an array of unique values
 *                | [[elem+]]               tuple: the first tuple, or null
 *   elem        := var | [aggregate, const*, var] | ["pull", src?, var, pull-pattern | var]
 *   aggregate   := count | count-distinct | sum | min | max | avg | median | variance | stddev
 *                | distinct | rand | sample
 *   input       := src | "%" | binding       (default ["$"]; a function value binds a function input)
 *   src         := "$" | "$" name
 *   clause      := pattern | predicate | fn-binding | not | not-join | or | or-join | rule-call
 *   pattern     := [src?, e, a?, v?, tx?, added?]     e: var | _ | entity id | lookup ref [attr, value]
 *   predicate   := [[fn, arg*]]                  fn: a built-in's name, or a var bound to a function
 *   fn-binding  := [[fn, arg*], binding]
 *   binding     := var | _ | [binding+] | [binding, "..."] | [[binding+]]    (tuple, collection,
 *                  relation; nested to any depth)
 *   not         := [src?, "not", clause+]        not-join := [src?, "not-join", [var+], clause+]
 *   or          := [src?, "or", branch+]         or-join  := [src?, "or-join", [[var+]?, var*], branch+]
 *   branch      := clause | ["and", clause+]
 *   rule-call   := [src?, rule-name, arg+]       (a clause starting with any other non-variable string)
 *   arg         := var | src | constant
 *
 * A source written before a pattern is read by it; before a rule call, not or or, it is the
 * implicit source of their bodies. Collections of tuples may be passed as sources.
 *   rules (%)   := [[[rule-name, [var+]?, var*], clause+]+]      (or their EDN string)
 *
 * A variable is a string starting with `?`; `_` is a blank. A clause whose head is an array is a
 * function clause unless that array is a pair [string, value] that names no built-in and holds
 * no variable: then it is a pattern whose entity is a lookup ref.
 */
import type {
  Binding,
  Clause,
  FindElement,
  FindSpec,
  InputBinding,
  OrClause,
  ParsedQuery,
  RuleDefinition,
  Term,
} from './ast.js';
import { bindingVars, isVar } from './ast.js';
import { builtins } from './builtins.js';
import { ednQueryToJson, readEdn } from './edn.js';
import { queryError } from './query-error.js';

export interface Query {
  find: unknown[];
  with?: unknown[];
  in?: unknown[];
  where?: unknown[];
}

const aggregates = new Set([
  'count',
  'count-distinct',
  'sum',
  'min',
  'max',
  'avg',
  'median',
  'variance',
  'stddev',
  'distinct',
  'rand',
  'sample',
]);
const returnMaps = ['keys', 'syms', 'strs'];

export function parse(query: Query | string): ParsedQuery {
  const json = typeof query === 'string' ? ednQueryToJson(readEdn(query)) : query;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw queryError('a query must be an object with find, in, with and where', json);
  }
  const q = json as Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (!['find', 'in', 'with', 'where', ...returnMaps].includes(key))
      throw queryError(`unknown query section ${key} (accepted: find, keys, syms, strs, with, in, where)`, q);
  }
  const find = parseFind(q.find, parseReturnMap(q));
  const withVars = parseVarList(q.with ?? [], 'with', q.with);
  const inputs = arrayOf(q.in ?? ['$'], 'in', q).map(parseInput);
  const where = arrayOf(q.where ?? [], 'where', q).map(parseClause);
  const parsed: ParsedQuery = { find, with: withVars, inputs, where };
  checkFindBound(parsed, q);
  checkSources(parsed);
  return parsed;
}

function parseReturnMap(q: Record<string, unknown>): string[] | null {
  const given = returnMaps.filter((k) => q[k] !== undefined);
  if (given.length === 0) return null;
  if (given.length > 1)
    throw queryError(`only one of keys, syms and strs may be given, not ${given.join(' and ')}`, q);
  const keys = q[given[0]];
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string'))
    throw queryError(`${given[0]} takes a list of names`, keys);
  return keys;
}

/** Every source named in where (patterns, function arguments, rule calls, not, or) is declared in in. */
function checkSources(parsed: ParsedQuery): void {
  const declared = new Set(['$', ...parsed.inputs.flatMap((i) => (i.kind === 'source' ? [i.name] : []))]);
  const check = (name: string | null, json: unknown) => {
    if (name !== null && !declared.has(name))
      throw queryError(
        `unknown source ${name}: declare it in in (declared: ${[...declared].join(', ')})`,
        json,
      );
  };
  const visit = (clauses: readonly Clause[]): void => {
    for (const c of clauses) {
      if (c.type === 'predicate' || c.type === 'function') {
        for (const t of c.args) if (t.kind === 'src') check(t.name, c.json);
        continue;
      }
      check(c.src, c.json);
      if (c.type === 'not') visit(c.clauses);
      if (c.type === 'or') for (const b of c.branches) visit(b);
    }
  };
  visit(parsed.where);
  for (const e of parsed.find.elements) if (e.kind === 'pull') check(e.src, parsed.find.elements);
}

/** Rules as passed in `%`: an array of definitions, or their EDN string. */
export function parseRules(rules: unknown): RuleDefinition[] {
  const json = typeof rules === 'string' ? readEdn(rules) : rules;
  return arrayOf(json, 'rules', json).map((definition) => {
    if (!Array.isArray(definition) || definition.length < 2 || !Array.isArray(definition[0])) {
      throw queryError('a rule is [[name, ...vars], clause+]', definition);
    }
    const [head, ...body] = definition;
    const [name, ...rest] = head as unknown[];
    if (typeof name !== 'string' || isVar(name))
      throw queryError('a rule head starts with its name', definition);
    const required = Array.isArray(rest[0]) ? (rest.shift() as unknown[]) : [];
    const params = [...required, ...rest];
    if (!params.every(isVar)) throw queryError('rule parameters must be variables', definition);
    return { name, params, required: required.length, body: body.map(parseClause), json: definition };
  });
}

function parseFind(find: unknown, keys: string[] | null): FindSpec {
  const spec = parseFindShape(find, keys);
  if (keys !== null && spec.shape !== 'relation' && spec.shape !== 'tuple')
    throw queryError('return maps (keys, syms, strs) need a relation or tuple find', find);
  if (keys !== null && keys.length !== spec.elements.length)
    throw queryError(`${keys.length} return map keys for ${spec.elements.length} find elements`, find);
  return spec;
}

function parseFindShape(find: unknown, keys: string[] | null): FindSpec {
  const elements = arrayOf(find, 'find', find);
  if (elements.length === 0) throw queryError('find needs at least one element', find);
  if (elements.length === 2 && elements[1] === '.') {
    return { shape: 'scalar', elements: [parseFindElement(elements[0], find)], keys };
  }
  const only = elements[0];
  if (elements.length === 1 && Array.isArray(only) && (isVar(only[0]) || Array.isArray(only[0]))) {
    if (only.length === 2 && only[1] === '...') {
      return { shape: 'collection', elements: [parseFindElement(only[0], find)], keys };
    }
    return { shape: 'tuple', elements: only.map((e) => parseFindElement(e, find)), keys };
  }
  return { shape: 'relation', elements: elements.map((e) => parseFindElement(e, find)), keys };
}

function parseFindElement(element: unknown, find: unknown): FindElement {
  if (isVar(element)) return { kind: 'var', name: element };
  if (Array.isArray(element) && element.length >= 2) {
    const [fn, ...args] = element;
    const last = args[args.length - 1];
    if (fn === 'pull') {
      const src = isSourceVar(args[0]) ? (args.shift() as string) : '$';
      if (args.length === 2 && isVar(args[0]) && (Array.isArray(args[1]) || isVar(args[1])))
        return { kind: 'pull', name: args[0], pattern: args[1] as unknown[] | string, src };
      throw queryError(
        `malformed pull ${JSON.stringify(element)}: pull takes an optional source, a variable and a pattern (an array, or a variable given as an input)`,
        find,
      );
    }
    if (typeof fn === 'string' && (aggregates.has(fn) || fn === 'aggregate') && isVar(last)) {
      const params = args.slice(0, -1);
      if (params.some((p) => typeof p !== 'number' && !isVar(p)))
        throw queryError('aggregate parameters are numbers or input variables', find);
      if (fn === 'aggregate' && !isVar(params[0]))
        throw queryError(
          'aggregate takes a function input, then its arguments: ["aggregate", "?fn", ..., var]',
          find,
        );
      return { kind: 'aggregate', fn, params, name: last };
    }
    if (typeof fn === 'string' && isVar(last))
      throw queryError(`unknown aggregate ${fn} (known: ${[...aggregates].join(', ')})`, find);
  }
  throw queryError(
    `malformed find element ${JSON.stringify(element)}: a find element is a variable, [aggregate, ...numbers, variable] or ["pull", variable, pattern]`,
    find,
  );
}

function parseInput(input: unknown): InputBinding {
  if (isSourceVar(input)) return { kind: 'source', name: input };
  if (input === '%') return { kind: 'rules' };
  return parseBinding(input, input);
}

function parseBinding(form: unknown, clause: unknown): Binding {
  if (isVar(form)) return { kind: 'scalar', name: form };
  if (form === '_') return { kind: 'blank' };
  if (Array.isArray(form)) {
    if (form.length === 2 && form[1] === '...')
      return { kind: 'collection', item: parseBinding(form[0], clause) };
    if (form.length === 1 && Array.isArray(form[0]))
      return { kind: 'collection', item: parseBinding(form[0], clause) };
    if (form.length > 0) return { kind: 'tuple', items: form.map((f) => parseBinding(f, clause)) };
  }
  throw queryError(
    `malformed binding ${JSON.stringify(form)}: a binding is a variable, _, [binding+], [binding, "..."] or [[binding+]]`,
    clause,
  );
}

export function parseClause(clause: unknown): Clause {
  if (!Array.isArray(clause) || clause.length === 0)
    throw queryError('a clause must be a non-empty array', clause);
  const src = isSourceVar(clause[0]) && clause.length > 1 ? (clause[0] as string) : null;
  const items = src !== null ? clause.slice(1) : clause;
  const head = items[0];
  if (Array.isArray(head) && isFunctionHead(head, items.length)) {
    if (src !== null) throw queryError('a function clause takes no source; pass it as an argument', clause);
    return parseFunctionClause(items, clause);
  }
  if (head === 'not' || head === 'not-join') return parseNot(items, clause, src);
  if (head === 'or' || head === 'or-join') return parseOr(items, clause, src);
  if (head === 'and') throw queryError('and is only allowed as a branch of or', clause);
  if (typeof head === 'string' && !isVar(head) && head !== '_') return parseRuleCall(items, clause, src);
  return parsePattern(items, clause, src);
}

export function isSourceVar(x: unknown): x is string {
  return typeof x === 'string' && x[0] === '$';
}

/** A lookup ref is a pair; anything else in head position is a call (of a built-in or a function input). */
function isFunctionHead(head: unknown[], clauseLength: number): boolean {
  if (clauseLength === 1 || head.length !== 2 || isVar(head[0])) return true;
  return typeof head[0] === 'string' && (builtins.has(head[0]) || head.slice(1).some(isVar));
}

function parsePattern(items: unknown[], clause: unknown, src: string | null): Clause {
  if (items.length > 5) throw queryError('a pattern has at most 5 positions [e a v tx added]', clause);
  const [e, a, v, tx, added] = [0, 1, 2, 3, 4].map((i) => (i < items.length ? term(items[i]) : blank));
  if (a.kind === 'const' && typeof a.value !== 'string' && typeof a.value !== 'number') {
    throw queryError('the attribute of a pattern is a variable, _ or an attribute ident', clause);
  }
  const terms = [e, a, v, tx, added] as const;
  return { type: 'pattern', json: clause, src, terms, vars: termVars(terms) };
}

function parseFunctionClause(items: unknown[], clause: unknown): Clause {
  const [call, bindingForm] = items as [unknown[], unknown];
  const [fn, ...rawArgs] = call;
  if (typeof fn !== 'string') throw queryError('a function clause starts with the function name', clause);
  if (!builtins.has(fn) && !isVar(fn))
    throw queryError(
      `unknown function ${fn}: call a built-in (see src/db/query/builtins.ts) or a variable bound to a function input`,
      clause,
    );
  if (items.length > 2) throw queryError('a function clause is [[fn, ...args], binding?]', clause);
  const args = rawArgs.map((a) => (isSourceVar(a) ? ({ kind: 'src', name: a } as const) : term(a)));
  const vars = termVars(args);
  if (items.length === 1) return { type: 'predicate', json: clause, fn, args, vars };
  const binding = parseBinding(bindingForm, clause);
  return { type: 'function', json: clause, fn, args, binding, vars, outVars: bindingVars(binding) };
}

function parseNot(items: unknown[], clause: unknown, src: string | null): Clause {
  const isJoin = items[0] === 'not-join';
  const joinVars = isJoin ? parseVarList(items[1], 'not-join', clause) : null;
  const clauses = items.slice(isJoin ? 2 : 1).map(parseClause);
  if (clauses.length === 0) throw queryError(`${items[0]} needs at least one clause`, clause);
  return { type: 'not', json: clause, src, joinVars, clauses, vars: joinVars ?? unionVars(clauses) };
}

function parseOr(items: unknown[], clause: unknown, src: string | null): OrClause {
  const isJoin = items[0] === 'or-join';
  const branches = items.slice(isJoin ? 2 : 1).map((b) => parseBranch(b, clause));
  if (branches.length === 0) throw queryError(`${items[0]} needs at least one branch`, clause);
  if (isJoin) {
    const declared = Array.isArray(items[1]) ? [...items[1]] : [];
    const required = Array.isArray(declared[0]) ? parseVarList(declared.shift(), 'or-join', clause) : [];
    const vars = [...required, ...parseVarList(declared, 'or-join', clause)];
    return { type: 'or', json: clause, src, required, branches, vars };
  }
  // A variable some branches do not use must be bound before the or (by an input or another
  // clause), as in Datascript; otherwise the branches would bind different variables.
  const perBranch = branches.map(unionVars);
  const vars = [...new Set(perBranch.flat())];
  const required = vars.filter((v) => !perBranch.every((these) => these.includes(v)));
  return { type: 'or', json: clause, src, required, branches, vars };
}

function parseBranch(branch: unknown, clause: unknown): Clause[] {
  if (Array.isArray(branch) && branch[0] === 'and') {
    if (branch.length < 2) throw queryError('and needs at least one clause', clause);
    return branch.slice(1).map(parseClause);
  }
  return [parseClause(branch)];
}

function parseRuleCall(items: unknown[], clause: unknown, src: string | null): Clause {
  const args = items.slice(1).map(term);
  if (args.length === 0) throw queryError(`rule call ${items[0]} needs arguments`, clause);
  return { type: 'rule', json: clause, src, name: items[0] as string, args, vars: termVars(args) };
}

const blank: Term = { kind: 'blank' };

function term(x: unknown): Term {
  if (x === '_') return blank;
  if (isVar(x)) return { kind: 'var', name: x };
  return { kind: 'const', value: x };
}

function termVars(terms: readonly Term[]): string[] {
  const vars: string[] = [];
  for (const t of terms) if (t.kind === 'var' && !vars.includes(t.name)) vars.push(t.name);
  return vars;
}

/** Every variable a list of clauses mentions, including function outputs. */
function unionVars(clauses: readonly Clause[]): string[] {
  const vars = new Set<string>();
  for (const c of clauses) {
    for (const v of c.vars) vars.add(v);
    if (c.type === 'function') for (const v of c.outVars) vars.add(v);
  }
  return [...vars];
}

function parseVarList(list: unknown, what: string, clause: unknown): string[] {
  if (!Array.isArray(list) || !list.every(isVar))
    throw queryError(`${what} takes a list of variables`, clause);
  return list;
}

function arrayOf(x: unknown, what: string, context: unknown): unknown[] {
  if (!Array.isArray(x)) throw queryError(`${what} must be an array`, context);
  return x;
}

/** Variables that clauses can bind: patterns, function outputs, or and rule calls (not predicates or not). */
function bindableVars(clauses: readonly Clause[], into: Set<string>): Set<string> {
  for (const c of clauses) {
    if (c.type === 'function') for (const v of c.outVars) into.add(v);
    else if (c.type === 'pattern' || c.type === 'or' || c.type === 'rule')
      for (const v of c.vars) into.add(v);
  }
  return into;
}

function checkFindBound(parsed: ParsedQuery, json: unknown): void {
  const bound = bindableVars(parsed.where, new Set());
  for (const input of parsed.inputs) {
    if (input.kind !== 'source' && input.kind !== 'rules') for (const v of bindingVars(input)) bound.add(v);
  }
  const wanted = [...parsed.find.elements.map((e) => e.name), ...parsed.with];
  const missing = wanted.filter((v) => !bound.has(v));
  if (missing.length > 0) throw queryError(`find variables not bound by where: ${missing.join(', ')}`, json);
}
