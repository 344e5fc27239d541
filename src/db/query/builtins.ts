/**
 * The functions predicates and function bindings may call, named as in Datascript. Each takes
 * its evaluated arguments; `$` arguments arrive as the QuerySource. Differences from Datascript:
 * arithmetic and max/min take numbers only (Datascript inherits JavaScript's coercions, so
 * `(+ 1 "a")` is "1a" there and an error here); get-else refuses cardinality-many attributes
 * (Datascript returns an arbitrary one of the values).
 */
import type { Attribute, Value } from '../types.js';
import type { QuerySource } from './source.js';
import { compareValues, valueEquals } from './values.js';

/** A function refused its arguments; the evaluator reports it with the clause. */
export class FunctionError extends Error {}

type Builtin = (args: readonly unknown[]) => unknown;

function num(x: unknown, fn: string): number {
  if (typeof x !== 'number') throw new FunctionError(`${fn} expects numbers, got ${JSON.stringify(x)}`);
  return x;
}

function nums(args: readonly unknown[], fn: string): number[] {
  return args.map((a) => num(a, fn));
}

function arity(args: readonly unknown[], fn: string, min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw new FunctionError(`${fn} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`);
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
  if (Array.isArray(x)) return `[${x.map((e) => (typeof e === 'string' ? JSON.stringify(e) : toStr(e))).join(' ')}]`;
  return String(x);
}

function sourceAttribute(args: readonly unknown[], fn: string): [QuerySource, number, Attribute] | null {
  const [source, e, ident] = args as [QuerySource, unknown, unknown];
  if (typeof source?.match !== 'function') throw new FunctionError(`${fn} takes $ as its first argument`);
  const attribute = typeof ident === 'string' ? source.attribute(ident) : undefined;
  if (attribute === undefined) throw new FunctionError(`${fn}: unknown attribute ${JSON.stringify(ident)}`);
  return typeof e === 'number' ? [source, e, attribute] : null;
}

function getElse(args: readonly unknown[]): unknown {
  arity(args, 'get-else', 4);
  if (args[3] === null || args[3] === undefined) throw new FunctionError('get-else needs a non-nil default');
  const found = sourceAttribute(args, 'get-else');
  if (found === null) return args[3];
  const [source, e, attribute] = found;
  if (attribute.many) throw new FunctionError(`get-else: ${attribute.ident} is cardinality many`);
  let value: Value | undefined;
  source.match(e, attribute, undefined, (_e, _a, v) => {
    value = v;
  });
  return value ?? args[3];
}

function missing(args: readonly unknown[]): boolean {
  arity(args, 'missing?', 3);
  const found = sourceAttribute(args, 'missing?');
  if (found === null) return true;
  const [source, e, attribute] = found;
  return source.estimate(e, attribute, undefined) === 0 || !hasDatom(source, e, attribute);
}

function hasDatom(source: QuerySource, e: number, attribute: Attribute): boolean {
  let seen = false;
  source.match(e, attribute, undefined, () => {
    seen = true;
  });
  return seen;
}

function divide(a: number, b: number): number {
  return a / b;
}

const table: Record<string, Builtin> = {
  '=': allEqual,
  '==': allEqual,
  '!=': (args) => !allEqual(args),
  'not=': (args) => !allEqual(args),
  '<': chain((c) => c < 0),
  '>': chain((c) => c > 0),
  '<=': chain((c) => c <= 0),
  '>=': chain((c) => c >= 0),
  '+': (args) => nums(args, '+').reduce((a, b) => a + b, 0),
  '*': (args) => nums(args, '*').reduce((a, b) => a * b, 1),
  '-': (args) => {
    const [first, ...rest] = nums(args, '-');
    arity(args, '-', 1, Number.POSITIVE_INFINITY);
    return rest.length === 0 ? -first : rest.reduce((a, b) => a - b, first);
  },
  '/': (args) => {
    const [first, ...rest] = nums(args, '/');
    arity(args, '/', 1, Number.POSITIVE_INFINITY);
    return rest.length === 0 ? 1 / first : rest.reduce(divide, first);
  },
  quot: (args) => (arity(args, 'quot', 2), Math.trunc(num(args[0], 'quot') / num(args[1], 'quot'))),
  rem: (args) => (arity(args, 'rem', 2), num(args[0], 'rem') % num(args[1], 'rem')),
  mod: (args) => {
    arity(args, 'mod', 2);
    const [a, b] = nums(args, 'mod');
    return ((a % b) + b) % b;
  },
  inc: (args) => (arity(args, 'inc', 1), num(args[0], 'inc') + 1),
  dec: (args) => (arity(args, 'dec', 1), num(args[0], 'dec') - 1),
  max: (args) => (arity(args, 'max', 1, Number.POSITIVE_INFINITY), Math.max(...nums(args, 'max'))),
  min: (args) => (arity(args, 'min', 1, Number.POSITIVE_INFINITY), Math.min(...nums(args, 'min'))),
  'zero?': (args) => num(args[0], 'zero?') === 0,
  'pos?': (args) => num(args[0], 'pos?') > 0,
  'neg?': (args) => num(args[0], 'neg?') < 0,
  'even?': (args) => num(args[0], 'even?') % 2 === 0,
  'odd?': (args) => Math.abs(num(args[0], 'odd?') % 2) === 1,
  'nil?': (args) => args[0] === null || args[0] === undefined,
  'some?': (args) => args[0] !== null && args[0] !== undefined,
  'true?': (args) => args[0] === true,
  'false?': (args) => args[0] === false,
  str: (args) => args.map(toStr).join(''),
  subs: (args) => {
    arity(args, 'subs', 2, 3);
    if (typeof args[0] !== 'string') throw new FunctionError('subs expects a string');
    const end = args.length === 3 ? num(args[2], 'subs') : args[0].length;
    return args[0].slice(num(args[1], 'subs'), end);
  },
  count: (args) => {
    arity(args, 'count', 1);
    const x = args[0];
    if (typeof x === 'string' || Array.isArray(x)) return x.length;
    if (x === null || x === undefined) return 0;
    throw new FunctionError(`count expects a string or a vector, got ${JSON.stringify(x)}`);
  },
  'clojure.string/starts-with?': (args) => String(args[0]).startsWith(String(args[1])),
  'clojure.string/ends-with?': (args) => String(args[0]).endsWith(String(args[1])),
  'clojure.string/includes?': (args) => String(args[0]).includes(String(args[1])),
  'clojure.string/blank?': (args) => toStr(args[0]).trim() === '',
  identity: (args) => (arity(args, 'identity', 1), args[0]),
  ground: (args) => (arity(args, 'ground', 1), args[0]),
  tuple: (args) => [...args],
  untuple: (args) => (arity(args, 'untuple', 1), args[0]),
  vector: (args) => [...args],
  'get-else': getElse,
  'missing?': missing,
};

export const builtins: ReadonlyMap<string, Builtin> = new Map(Object.entries(table));
