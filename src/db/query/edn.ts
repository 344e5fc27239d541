/**
 * A small EDN reader for the subset Datascript queries use, mapping EDN onto the JSON query form.
 *
 *   form    := vector | list | map | string | number | keyword | symbol | true | false | nil
 *   vector  := '[' form* ']'          → array
 *   list    := '(' form* ')'          → array
 *   map     := '{' (form form)* '}'   → object (keys are keywords or strings)
 *   keyword := ':' name               → the name without its colon (`:market/id` → "market/id")
 *   symbol  := name                   → string (`?x`, `_`, `$`, `...`, `>=`)
 *   nil     → null;  commas are whitespace;  `;` starts a comment to the end of the line.
 *
 * Since symbols, keywords and strings all become JSON strings, an EDN string that looks like a
 * variable ("?x") reads as that variable: the JSON form cannot tell them apart.
 */
import { queryError } from './query-error.js';

const closers: Record<string, string> = { '[': ']', '(': ')', '{': '}' };
const delimiters = new Set([...'[](){}", \t\n\r;']);

export function readEdn(text: string): unknown {
  const reader = { text, at: 0 };
  const form = readForm(reader);
  skipSpace(reader);
  if (reader.at < text.length) throw ednError(reader, 'unexpected text after the form');
  return form;
}

const ednSections = new Set(['find', 'keys', 'syms', 'strs', 'in', 'with', 'where']);

/** A Datascript query vector `[:find … :in … :where …]` becomes the JSON query object. */
export function ednQueryToJson(form: unknown): unknown {
  if (!Array.isArray(form)) return form;
  const query: Record<string, unknown[]> = {};
  let section: unknown[] | undefined;
  for (const item of form) {
    if (typeof item === 'string' && ednSections.has(item)) {
      section = query[item] = [];
    } else if (section === undefined) {
      throw queryError('an EDN query vector must start with :find', form);
    } else section.push(item);
  }
  return query;
}

interface Reader {
  readonly text: string;
  at: number;
}

function readForm(r: Reader): unknown {
  skipSpace(r);
  const c = r.text[r.at];
  if (c === undefined) throw ednError(r, 'unexpected end of input');
  if (c in closers) {
    r.at++;
    const items = readUntil(r, closers[c]);
    return c === '{' ? toObject(r, items) : items;
  }
  if (c === '"') return readString(r);
  if (c === ']' || c === ')' || c === '}') throw ednError(r, `unexpected ${c}`);
  return readAtom(r);
}

function readUntil(r: Reader, closer: string): unknown[] {
  const items: unknown[] = [];
  for (;;) {
    skipSpace(r);
    if (r.at >= r.text.length) throw ednError(r, `missing ${closer}`);
    if (r.text[r.at] === closer) {
      r.at++;
      return items;
    }
    items.push(readForm(r));
  }
}

function toObject(r: Reader, items: unknown[]): Record<string, unknown> {
  if (items.length % 2 !== 0) throw ednError(r, 'a map needs an even number of forms');
  const object: Record<string, unknown> = {};
  for (let i = 0; i < items.length; i += 2) object[String(items[i])] = items[i + 1];
  return object;
}

function readString(r: Reader): string {
  let out = '';
  for (r.at++; r.at < r.text.length; r.at++) {
    const c = r.text[r.at];
    if (c === '"') {
      r.at++;
      return out;
    }
    if (c === '\\') {
      const next = r.text[++r.at];
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
    } else out += c;
  }
  throw ednError(r, 'unterminated string');
}

function readAtom(r: Reader): unknown {
  const start = r.at;
  while (r.at < r.text.length && !delimiters.has(r.text[r.at])) r.at++;
  const token = r.text.slice(start, r.at);
  if (token === 'nil') return null;
  if (token === 'true') return true;
  if (token === 'false') return false;
  if (/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?M?$/.test(token)) return Number(token.replace(/M$/, ''));
  if (token.startsWith(':')) return token.slice(1);
  return token;
}

function skipSpace(r: Reader): void {
  while (r.at < r.text.length) {
    const c = r.text[r.at];
    if (c === ';') {
      while (r.at < r.text.length && r.text[r.at] !== '\n') r.at++;
    } else if (c === ' ' || c === ',' || c === '\t' || c === '\n' || c === '\r') r.at++;
    else return;
  }
}

function ednError(r: Reader, why: string) {
  return queryError(`cannot read EDN at offset ${r.at}: ${why}`, r.text);
}
