/**
 * Datascript, the JavaScript reference for the same model, loaded untyped through require (the
 * package ships no types), and a printer from the JSON query form to Datascript's EDN.
 */
import { createRequire } from 'node:module';

export type DsDb = { readonly __datascriptDb: unique symbol };

export interface Datascript {
  empty_db(schema?: Record<string, Record<string, string>>): DsDb;
  db_with(db: DsDb, txData: unknown[]): DsDb;
  q(query: string, ...inputs: unknown[]): unknown;
}

export const datascript = createRequire(import.meta.url)('datascript') as Datascript;

const symbols = new Set(['_', '$', '%', '...', '.']);
const isVar = (x: unknown): x is string => typeof x === 'string' && x.startsWith('?');

/** A term: variables and the special symbols as symbols, anything else as an EDN value. */
function term(x: unknown): string {
  if (isVar(x) || (typeof x === 'string' && symbols.has(x))) return x as string;
  if (Array.isArray(x)) return `[${x.map(term).join(' ')}]`;
  if (x === null) return 'nil';
  return typeof x === 'string' ? JSON.stringify(x) : String(x);
}

function clause(c: unknown): string {
  const items = c as unknown[];
  const [head, ...rest] = items;
  if (head === 'not' || head === 'or' || head === 'and') return `(${head} ${rest.map(clause).join(' ')})`;
  if (head === 'not-join' || head === 'or-join') {
    return `(${head} ${term(rest[0])} ${rest.slice(1).map(clause).join(' ')})`;
  }
  if (Array.isArray(head) && typeof head[0] === 'string' && !isVar(head[0])) {
    const [fn, ...args] = head;
    const call = `(${fn} ${args.map(term).join(' ')})`;
    return rest.length === 0 ? `[${call}]` : `[${call} ${term(rest[0])}]`;
  }
  // A rule call: a clause led by a name that is not a variable or a source.
  if (typeof head === 'string' && !isVar(head) && !symbols.has(head))
    return `(${head} ${rest.map(term).join(' ')})`;
  return `[${items.map(term).join(' ')}]`;
}

function findElement(e: unknown): string {
  if (Array.isArray(e) && typeof e[0] === 'string' && !isVar(e[0])) {
    return `(${e[0]} ${e.slice(1).map(term).join(' ')})`;
  }
  return term(e);
}

export interface JsonQuery {
  find: unknown[];
  with?: unknown[];
  in?: unknown[];
  where?: unknown[];
}

/** The EDN text of a JSON-form query (relation, scalar and collection find specs). */
export function toEdn(query: JsonQuery): string {
  const { find } = query;
  let findText: string;
  if (find.length === 2 && find[1] === '.') findText = `${findElement(find[0])} .`;
  else if (find.length === 1 && Array.isArray(find[0]) && find[0][find[0].length - 1] === '...') {
    findText = `[${findElement(find[0][0])} ...]`;
  } else findText = find.map(findElement).join(' ');
  const parts = [`:find ${findText}`];
  if (query.with) parts.push(`:with ${query.with.join(' ')}`);
  if (query.in) parts.push(`:in ${query.in.map(term).join(' ')}`);
  if (query.where) parts.push(`:where ${query.where.map(clause).join(' ')}`);
  return `[${parts.join(' ')}]`;
}

/** Rules in the JSON form, as Datascript's EDN. */
export function rulesToEdn(rules: readonly unknown[][]): string {
  const rule = ([head, ...body]: unknown[]) => {
    const [name, ...params] = head as unknown[];
    return `[(${name} ${params.map(term).join(' ')}) ${body.map(clause).join(' ')}]`;
  };
  return `[${rules.map(rule).join(' ')}]`;
}
