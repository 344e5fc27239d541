import type { Attribute, Value } from '../types.js';

/**
 * What the Datalog engine needs from a database view. A view of the fact database implements it;
 * so does the naive list-of-datoms model the tests compare against.
 *
 * Every method sees only the datoms visible in the view: current and asOf views see live
 * assertions; `since(T)` views see live assertions made after T; history views see every
 * assertion and retraction (with `added` telling which).
 *
 * The optional methods are faster paths the engine uses when a source has them; a source with
 * only the required ones gives the same results.
 */
export interface QuerySource {
  /** The attribute with this ident, or undefined if the schema (as of the view) has none. */
  attribute(ident: string): Attribute | undefined;
  /** The attribute with this entity id, or undefined. */
  attributeById(id: number): Attribute | undefined;
  /** Every attribute of the view's schema. */
  attributes(): readonly Attribute[];
  /** True when retractions are visible (a history view). */
  readonly isHistory: boolean;
  /**
   * Calls `visit` for each visible datom matching the bound components (undefined = unbound).
   * With `a` undefined every attribute matches. Values are as users see them. Cost: with `e`
   * bound, the entity's datoms; with `a` and `v` bound on an indexed attribute, the matches;
   * with only `a`, the attribute's datoms; with nothing bound, every datom.
   */
  match(
    e: number | undefined,
    a: Attribute | undefined,
    v: Value | undefined,
    visit: (e: number, a: Attribute, v: Value, tx: number, added: boolean) => void,
  ): void;
  /**
   * Optional, a faster `match` for a known attribute: the same datoms, but `tx` is read only
   * when `withTx` (the visitor gets 0 otherwise), so patterns that do not bind it skip the lookup
   * of each datom's transaction. The engine uses `match` when a source lacks it.
   */
  matchLean?(
    e: number | undefined,
    a: Attribute,
    v: Value | undefined,
    withTx: boolean,
    visit: (e: number, a: Attribute, v: Value, tx: number, added: boolean) => void,
  ): void;
  /**
   * Optional: up to `count` values of visible datoms of `a`, spread over the attribute's datoms,
   * in O(count log n). The planner estimates how many rows a predicate keeps from them.
   */
  sampleValues?(a: Attribute, count: number): Value[];
  /** An upper bound on how many datoms `match` would visit, computed in O(log n) or better. */
  estimate(e: number | undefined, a: Attribute | undefined, v: Value | undefined): number;
  /** Datascript's pull on one entity; null if the entity has no visible datoms. */
  pull(e: number, pattern: readonly unknown[]): Record<string, unknown> | null;
}

/** A collection of tuples passed as a source: patterns match its tuples position by position. */
export type TupleCollection = readonly (readonly unknown[])[];

/** What a source (`$`, `$2`, …) may be: a database view or a collection of tuples. */
export type Source = QuerySource | TupleCollection;

export function isDatabase(source: unknown): source is QuerySource {
  return typeof source === 'object' && source !== null && typeof (source as QuerySource).match === 'function';
}
