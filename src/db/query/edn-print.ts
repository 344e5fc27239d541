/** Prints the JSON query form as Datascript's EDN: the inverse of edn.ts's reading, for tools and peers. */
import { isVar } from './ast.js';

const isSourceVar = (x: string) => /^\$[A-Za-z0-9_-]*$/.test(x);

const symbols = new Set(['_', '$', '%', '...', '.']);

function value(x: unknown): string {
  if (x === null) return 'nil';
  if (Array.isArray(x)) return `[${x.map(value).join(' ')}]`;
  return typeof x === 'string' ? JSON.stringify(x) : String(x);
}

/** A term: variables, sources and the special symbols as symbols, anything else as an EDN value. */
function term(x: unknown): string {
  if (typeof x === 'string' && (isVar(x) || symbols.has(x) || isSourceVar(x))) return x;
  if (Array.isArray(x)) return `[${x.map(term).join(' ')}]`;
  return value(x);
}

export function printClause(c: unknown): string {
  const items = c as unknown[];
  const head = items[0];
  if (head === 'not' || head === 'or' || head === 'and')
    return `(${head} ${items.slice(1).map(printClause).join(' ')})`;
  if (head === 'not-join' || head === 'or-join') {
    return `(${head} ${term(items[1])} ${items.slice(2).map(printClause).join(' ')})`;
  }
  if (Array.isArray(head) && typeof head[0] === 'string' && !isVar(head[0])) {
    const [fn, ...args] = head;
    const call = `(${fn} ${args.map(term).join(' ')})`;
    return items.length === 1 ? `[${call}]` : `[${call} ${term(items[1])}]`;
  }
  if (typeof head === 'string' && !isVar(head) && !symbols.has(head))
    return `(${head} ${items.slice(1).map(term).join(' ')})`;
  return `[${items.map(term).join(' ')}]`;
}

function findElement(e: unknown): string {
  if (Array.isArray(e) && typeof e[0] === 'string' && !isVar(e[0]))
    return `(${e[0]} ${e.slice(1).map(term).join(' ')})`;
  return term(e);
}

export function printQuery(query: {
  find: unknown[];
  keys?: unknown[];
  syms?: unknown[];
  strs?: unknown[];
  in?: unknown[];
  with?: unknown[];
  where?: unknown[];
}): string {
  const find = query.find;
  let findText: string;
  if (find.length === 2 && find[1] === '.') findText = `${findElement(find[0])} .`;
  else if (find.length === 1 && Array.isArray(find[0]) && (isVar(find[0][0]) || Array.isArray(find[0][0]))) {
    findText = `[${(find[0] as unknown[]).map((e) => (e === '...' ? '...' : findElement(e))).join(' ')}]`;
  } else findText = find.map(findElement).join(' ');
  const parts = [`:find ${findText}`];
  for (const section of ['keys', 'syms', 'strs'] as const) {
    const names = query[section];
    if (names) parts.push(`:${section} ${names.join(' ')}`);
  }
  if (query.with) parts.push(`:with ${query.with.join(' ')}`);
  if (query.in) parts.push(`:in ${query.in.map(term).join(' ')}`);
  if (query.where) parts.push(`:where ${query.where.map(printClause).join(' ')}`);
  return `[${parts.join(' ')}]`;
}

export function printRules(rules: readonly unknown[][]): string {
  const rule = ([head, ...body]: unknown[]) => {
    const [name, ...params] = head as unknown[];
    return `[(${name} ${params.map(term).join(' ')}) ${body.map(printClause).join(' ')}]`;
  };
  return `[${rules.map(rule).join(' ')}]`;
}
