/**
 * Live queries. A subscription holds a query's current result and, after each tx, works out the
 * rows added and removed.
 *
 * Conjunctive queries (data patterns, predicates and function bindings; plain variables found as
 * a relation) are maintained incrementally. A row that appears must use a datom the tx asserted,
 * so for each pattern P the query is re-run with P replaced by the bindings the tx's assertions
 * give it (a relation input), against the db after the tx; those rows not already in the result
 * are added. A row that disappears must have used a retracted datom in the db before the tx, so
 * the same rewrite over the retractions, against the db before, finds the candidates; those no
 * longer derivable after the tx (the query re-run with the row's values as inputs) are removed.
 * Cost: the queries restricted to the tx's datoms, not the whole query. Anything else (rules,
 * negation, or, aggregates, pull, other find shapes) is re-run whole and diffed.
 */

import type { PatternClause, Term } from './query/ast.js';
import { ednQueryToJson, readEdn } from './query/edn.js';
import { parseQuery, type Query, q } from './query/index.js';
import type { Datom, Value } from './types.js';
import type { View } from './view.js';

export interface Change {
  readonly tx: number;
  readonly added: unknown[][];
  readonly removed: unknown[][];
  /** True for the first delivery, which carries the whole result as `added`. */
  readonly initial: boolean;
}

export class Subscription {
  private readonly json: Query;
  private readonly patterns: (PatternClause | undefined)[];
  private readonly incremental: boolean;
  private readonly findVars: string[];
  private current = new Map<string, unknown[]>();

  constructor(
    query: Query | string,
    private readonly inputs: readonly unknown[],
  ) {
    this.json = (typeof query === 'string' ? ednQueryToJson(readEdn(query)) : query) as Query;
    const parsed = parseQuery(this.json);
    this.patterns = parsed.where.map((c) => (c.type === 'pattern' ? c : undefined));
    this.findVars = parsed.find.elements.flatMap((el) => (el.kind === 'var' ? [el.name] : []));
    this.incremental =
      parsed.find.shape === 'relation' &&
      this.findVars.length === parsed.find.elements.length &&
      parsed.with.length === 0 &&
      parsed.inputs.every((input) => input.kind !== 'rules') &&
      parsed.where.every((c) => c.type === 'pattern' || c.type === 'predicate' || c.type === 'function');
  }

  /** The whole result in `view`, which becomes the current result. */
  start(view: View): Change {
    this.current = keyed(this.run(view));
    return { tx: view.basisTx, added: [...this.current.values()], removed: [], initial: true };
  }

  /** What a tx changed in the result, given the views before and after it and its datoms. */
  update(before: View, after: View, tx: TxDatoms): Change {
    return this.incremental ? this.delta(after, tx, before) : this.rerun(after);
  }

  private rerun(after: View): Change {
    const next = keyed(this.run(after));
    const added: unknown[][] = [];
    const removed: unknown[][] = [];
    for (const [key, row] of next) if (!this.current.has(key)) added.push(row);
    for (const [key, row] of this.current) if (!next.has(key)) removed.push(row);
    this.current = next;
    return { tx: after.basisTx, added, removed, initial: false };
  }

  private run(view: View): unknown[][] {
    return q(view, this.json, ...this.inputs) as unknown[][];
  }

  /** The rows the tx added and removed, from the tx's datoms; the current result follows. */
  private delta(after: View, tx: TxDatoms, before: View): Change {
    const added = new Map<string, unknown[]>();
    const removed = new Map<string, unknown[]>();
    for (const row of this.through(after, tx, true)) {
      const key = JSON.stringify(row);
      if (!this.current.has(key)) added.set(key, row);
    }
    for (const row of this.through(before, tx, false)) {
      const key = JSON.stringify(row);
      if (this.current.has(key) && !removed.has(key) && !this.holds(after, row)) removed.set(key, row);
    }
    for (const key of removed.keys()) this.current.delete(key);
    for (const [key, row] of added) this.current.set(key, row);
    return { tx: after.basisTx, added: [...added.values()], removed: [...removed.values()], initial: false };
  }

  /** Rows of the query in `view` that use one of the tx's assertions (or retractions) for some pattern. */
  private through(view: View, tx: TxDatoms, asserted: boolean): unknown[][] {
    const rows: unknown[][] = [];
    this.patterns.forEach((pattern, i) => {
      if (pattern === undefined) return;
      const attribute = pattern.terms[1];
      const datoms = attribute.kind === 'const' ? tx.byAttr.get(attribute.value as string) : tx.all;
      if (datoms === undefined) return;
      const vars = [...new Set(pattern.terms.flatMap((t) => (t.kind === 'var' ? [t.name] : [])))];
      const bindings: unknown[][] = [];
      for (const d of datoms) {
        if (d.added !== asserted) continue;
        const values = bind(pattern.terms, d, vars, view);
        if (values !== undefined) bindings.push(values);
      }
      if (bindings.length === 0) return;
      if (vars.length === 0) {
        rows.push(...this.run(view));
        return;
      }
      const where = (this.json.where ?? []).filter((_, j) => j !== i);
      const query = { ...this.json, in: [...(this.json.in ?? ['$']), [vars]], where };
      rows.push(...(q(view, query, ...this.inputs, bindings) as unknown[][]));
    });
    return rows;
  }

  /** Whether `row` is still a result in `view`. */
  private holds(view: View, row: unknown[]): boolean {
    const inputVars = new Set((this.json.in ?? []).filter((x): x is string => typeof x === 'string'));
    const bound = this.findVars
      .map((name, i) => [name, row[i]] as const)
      .filter(([name]) => !inputVars.has(name));
    const query = { ...this.json, in: [...(this.json.in ?? ['$']), ...bound.map(([name]) => name)] };
    return (q(view, query, ...this.inputs, ...bound.map(([, value]) => value)) as unknown[]).length > 0;
  }
}

/** The values a datom gives a pattern's variables, or undefined if it does not match. */
function bind(terms: readonly Term[], d: Datom, vars: string[], view: View): unknown[] | undefined {
  const parts: unknown[] = [d.e, d.a, d.v, d.tx, d.added];
  const values = new Map<string, unknown>();
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i]!;
    if (term.kind === 'var') {
      if (values.has(term.name) && !sameValue(values.get(term.name), parts[i])) return undefined;
      values.set(term.name, parts[i]);
    } else if (term.kind === 'const' && !sameValue(constantOf(term.value, i, view), parts[i])) {
      return undefined;
    }
  }
  return vars.map((name) => values.get(name));
}

/** A pattern constant as a datom part: an entity position may hold a lookup ref. */
function constantOf(value: unknown, position: number, view: View): unknown {
  if (position !== 0 || !Array.isArray(value)) return value;
  const attr = view.attribute(value[0] as string);
  return attr === undefined ? undefined : view.entityWith(attr, value[1] as Value);
}

function sameValue(x: unknown, y: unknown): boolean {
  return x === y || (Array.isArray(x) && Array.isArray(y) && JSON.stringify(x) === JSON.stringify(y));
}

/** A tx's datoms, grouped once for every subscription. */
export interface TxDatoms {
  readonly all: readonly Datom[];
  readonly byAttr: ReadonlyMap<string, Datom[]>;
}

/**
 * A tx's net changes: a fact asserted and retracted in the same tx (or retracted and asserted
 * again) changed nothing a query can see, so it is left out.
 */
export function txDatoms(datoms: readonly Datom[]): TxDatoms {
  const first = new Map<string, Datom>();
  const last = new Map<string, Datom>();
  for (const d of datoms) {
    const key = `${d.e}|${d.a}|${JSON.stringify(d.v)}`;
    if (!first.has(key)) first.set(key, d);
    last.set(key, d);
  }
  const net: Datom[] = [];
  const byAttr = new Map<string, Datom[]>();
  for (const [key, d] of last) {
    if (first.get(key)!.added !== d.added) continue;
    net.push(d);
    const group = byAttr.get(d.a);
    if (group) group.push(d);
    else byAttr.set(d.a, [d]);
  }
  return { all: net, byAttr };
}

function keyed(rows: unknown[][]): Map<string, unknown[]> {
  return new Map(rows.map((row) => [JSON.stringify(row), row]));
}
