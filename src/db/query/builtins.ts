/**
 * The functions predicates and function bindings may call, named as in Datascript. Each takes
 * its evaluated arguments; `$` arguments arrive as the QuerySource. Differences from Datascript:
 * arithmetic and max/min take numbers only (Datascript inherits JavaScript's coercions, so
 * `(+ 1 "a")` is "1a" there and an error here); get-else refuses cardinality-many attributes
 * (Datascript returns an arbitrary one of the values).
 */
import type { Attribute, Value } from '../types.js';
import { entityOf } from './lookup.js';
import type { QuerySource } from './source.js';
import { compareValues, valueEquals } from './values.js';

/** A function refused its arguments; the evaluator reports it with the clause. */
export class FunctionError extends Error {}

export type Builtin = (args: readonly unknown[]) => unknown;

function num(x: unknown, fn: string): number {
  if (typeof x !== 'number') throw new FunctionError(`${fn} expects numbers, got ${JSON.stringify(x)}`);
  return x;
}

function nums(args: readonly unknown[], fn: string): number[] {
  return args.map((a) => num(a, fn));
}

function arity(args: readonly unknown[], fn: string, min: number, max: number): void {
  if (args.length < min || args.length > max) {
    throw new FunctionError(
      `${fn} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`,
    );
  }
}

function chain(test: (c: number) => boolean): Builtin {
  return (args) => {
    for (let i = 1; i < args.length; i++) if (!test(compareValues(args[i - 1], args[i]))) return false;
    return true;
  };
}

const allEqual: Builtin = (args) => args.every((a) => valueEquals(a, args[0]));

function toStr(x: unknown): string {
  if (x === null || x === undefined) return '';
  if (Array.isArray(x))
    return `[${x.map((e) => (typeof e === 'string' ? JSON.stringify(e) : toStr(e))).join(' ')}]`;
  return String(x);
}

/**
 * The source, entity (an id or a lookup ref) and attribute of get-else and missing?; null when
 * the entity is neither or names nothing. `reverse` tells a reverse attribute (`ns/_name`).
 */
function sourceAttribute(
  args: readonly unknown[],
  fn: string,
): { source: QuerySource; e: number; attribute: Attribute; reverse: boolean } | null {
  const [source, e, ident] = args as [QuerySource, unknown, unknown];
  if (typeof source?.match !== 'function')
    throw new FunctionError(`${fn} takes a database ($ or a named source) as its first argument`);
  let attribute = typeof ident === 'string' ? source.attribute(ident) : undefined;
  const forward = typeof ident === 'string' ? reverseOf(ident) : undefined;
  const reverse = attribute === undefined && forward !== undefined;
  if (reverse) attribute = source.attribute(forward!);
  if (attribute === undefined || (reverse && attribute.valueType !== 'ref'))
    throw new FunctionError(`${fn}: unknown attribute ${JSON.stringify(ident)}`);
  const entity = entityOf(source, e);
  return entity === undefined ? null : { source, e: entity, attribute, reverse };
}

/** "ns/name" for a reverse attribute "ns/_name" (or "_name"), else undefined. */
function reverseOf(ident: string): string | undefined {
  const slash = ident.indexOf('/');
  if (ident[slash + 1] !== '_') return undefined;
  return `${ident.slice(0, slash + 1)}${ident.slice(slash + 2)}`;
}

function getElse(args: readonly unknown[]): unknown {
  if (args[3] === null || args[3] === undefined) throw new FunctionError('get-else needs a non-nil default');
  const found = sourceAttribute(args, 'get-else');
  if (found === null) return args[3];
  const { source, e, attribute, reverse } = found;
  if (attribute.many || reverse)
    throw new FunctionError(`get-else: ${JSON.stringify(args[2])} is cardinality many`);
  let value: Value | undefined;
  source.match(e, attribute, undefined, (_e, _a, v) => {
    value = v;
  });
  return value ?? args[3];
}

/** `(get-some $ e attr+)`: [attr, value] of the first attribute the entity has, else nil. */
function getSome(args: readonly unknown[]): unknown {
  for (const ident of args.slice(2)) {
    const found = sourceAttribute([args[0], args[1], ident], 'get-some');
    if (found === null) return null;
    const { source, e, attribute, reverse } = found;
    if (reverse) throw new FunctionError(`get-some: ${JSON.stringify(ident)} is a reverse attribute`);
    let value: Value | undefined;
    source.match(e, attribute, undefined, (_e, _a, v) => {
      value ??= v;
    });
    if (value !== undefined) return [attribute.ident, value];
  }
  return null;
}

function missing(args: readonly unknown[]): boolean {
  const found = sourceAttribute(args, 'missing?');
  if (found === null) return true;
  const { source, e, attribute, reverse } = found;
  let seen = false;
  const see = () => {
    seen = true;
  };
  if (reverse) source.match(undefined, attribute, e, see);
  else source.match(e, attribute, undefined, see);
  return !seen;
}

const any = Number.POSITIVE_INFINITY;

/** Each function with its arity bounds, checked before the call. */
const table: Record<string, [min: number, max: number, fn: Builtin]> = {
  '=': [1, any, allEqual],
  '==': [1, any, allEqual],
  '!=': [1, any, (args) => !allEqual(args)],
  'not=': [1, any, (args) => !allEqual(args)],
  '<': [1, any, chain((c) => c < 0)],
  '>': [1, any, chain((c) => c > 0)],
  '<=': [1, any, chain((c) => c <= 0)],
  '>=': [1, any, chain((c) => c >= 0)],
  '+': [0, any, (args) => nums(args, '+').reduce((a, b) => a + b, 0)],
  '*': [0, any, (args) => nums(args, '*').reduce((a, b) => a * b, 1)],
  '-': [
    1,
    any,
    (args) =>
      fold(
        nums(args, '-'),
        (a, b) => a - b,
        (a) => -a,
      ),
  ],
  '/': [
    1,
    any,
    (args) =>
      fold(
        nums(args, '/'),
        (a, b) => a / b,
        (a) => 1 / a,
      ),
  ],
  quot: [2, 2, (args) => Math.trunc(num(args[0], 'quot') / num(args[1], 'quot'))],
  rem: [2, 2, (args) => num(args[0], 'rem') % num(args[1], 'rem')],
  mod: [2, 2, ([a, b]) => ((num(a, 'mod') % num(b, 'mod')) + (b as number)) % (b as number)],
  inc: [1, 1, (args) => num(args[0], 'inc') + 1],
  dec: [1, 1, (args) => num(args[0], 'dec') - 1],
  max: [1, any, (args) => Math.max(...nums(args, 'max'))],
  min: [1, any, (args) => Math.min(...nums(args, 'min'))],
  'zero?': [1, 1, (args) => num(args[0], 'zero?') === 0],
  'pos?': [1, 1, (args) => num(args[0], 'pos?') > 0],
  'neg?': [1, 1, (args) => num(args[0], 'neg?') < 0],
  'even?': [1, 1, (args) => num(args[0], 'even?') % 2 === 0],
  'odd?': [1, 1, (args) => Math.abs(num(args[0], 'odd?') % 2) === 1],
  'nil?': [1, 1, (args) => args[0] === null || args[0] === undefined],
  'some?': [1, 1, (args) => args[0] !== null && args[0] !== undefined],
  'true?': [1, 1, (args) => args[0] === true],
  'false?': [1, 1, (args) => args[0] === false],
  str: [0, any, (args) => args.map(toStr).join('')],
  subs: [2, 3, subs],
  count: [1, 1, ([x]) => count(x)],
  'clojure.string/starts-with?': [2, 2, (args) => String(args[0]).startsWith(String(args[1]))],
  'clojure.string/ends-with?': [2, 2, (args) => String(args[0]).endsWith(String(args[1]))],
  'clojure.string/includes?': [2, 2, (args) => String(args[0]).includes(String(args[1]))],
  'clojure.string/blank?': [1, 1, (args) => toStr(args[0]).trim() === ''],
  identity: [1, 1, (args) => args[0]],
  ground: [1, 1, (args) => args[0]],
  tuple: [0, any, (args) => [...args]],
  untuple: [1, 1, (args) => args[0]],
  vector: [0, any, (args) => [...args]],
  'get-else': [4, 4, getElse],
  'get-some': [3, any, getSome],
  'missing?': [3, 3, missing],
};

/** Datascript's - and /: one argument negates or inverts, more fold left. */
function fold(
  values: number[],
  step: (a: number, b: number) => number,
  single: (a: number) => number,
): number {
  const [first, ...rest] = values;
  return rest.length === 0 ? single(first) : rest.reduce(step, first);
}

function subs(args: readonly unknown[]): string {
  if (typeof args[0] !== 'string') throw new FunctionError('subs expects a string');
  const end = args.length === 3 ? num(args[2], 'subs') : args[0].length;
  return args[0].slice(num(args[1], 'subs'), end);
}

function count(x: unknown): number {
  if (typeof x === 'string' || Array.isArray(x)) return x.length;
  if (x === null || x === undefined) return 0;
  throw new FunctionError(`count expects a string or a vector, got ${JSON.stringify(x)}`);
}

export const builtins: ReadonlyMap<string, Builtin> = new Map(
  Object.entries(table).map(([name, [min, max, fn]]) => [
    name,
    (args: readonly unknown[]) => {
      arity(args, name, min, max);
      return fn(args);
    },
  ]),
);
