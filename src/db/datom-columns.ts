/**
 * The datoms of one tx as columns: entity, attribute id, value, added. A batch of ticks is tens of
 * thousands of datoms, planned, encoded and applied in one turn. In typed arrays they take no
 * object per value; in JS arrays that large, V8 took about 80 ns a push here against 12 typed (a
 * 5,000-tick batch spent a fifth of its planning pushing).
 *
 * A value is a number in `xs`, a string as its index in `strings` (in datom order), or a boolean,
 * told apart by the datom's tag: kind | added << 2, the tags a tx record keeps in the log.
 */
import { assert } from './assert.js';
import type { Normal } from './values.js';

export const NUMBER = 0;
export const STRING = 1;
export const FALSE = 2;
export const TRUE = 3;
export const ADDED = 4;

/** One datom as tests and literals write it: [e, attribute id, value, added]. */
export type DatomRow = readonly [e: number, a: number, v: Normal, added: boolean];

export class DatomColumns {
  private es: Float64Array;
  private as: Float64Array;
  private xs: Float64Array;
  private tagBytes: Uint8Array;
  private readonly stringValues: string[] = [];
  private count = 0;

  constructor(capacity = 16) {
    this.es = new Float64Array(capacity);
    this.as = new Float64Array(capacity);
    this.xs = new Float64Array(capacity);
    this.tagBytes = new Uint8Array(capacity);
  }

  static of(rows: readonly DatomRow[]): DatomColumns {
    const columns = new DatomColumns(rows.length);
    for (const [e, a, v, added] of rows) columns.push(e, a, v, added);
    return columns;
  }

  get length(): number {
    return this.count;
  }

  push(e: number, a: number, v: Normal, added: boolean): void {
    const i = this.count++;
    if (i === this.es.length) this.grow();
    this.es[i] = e;
    this.as[i] = a;
    let kind: number;
    if (typeof v === 'number') {
      kind = NUMBER;
      this.xs[i] = v;
    } else if (typeof v === 'string') {
      kind = STRING;
      this.xs[i] = this.stringValues.push(v) - 1;
    } else {
      assert(typeof v === 'boolean', 'a value is a number, a string or a boolean');
      kind = v ? TRUE : FALSE;
    }
    this.tagBytes[i] = added ? kind | ADDED : kind;
  }

  e(i: number): number {
    return this.es[i]!;
  }

  a(i: number): number {
    return this.as[i]!;
  }

  v(i: number): Normal {
    const kind = this.tagBytes[i]! & 3;
    if (kind === NUMBER) return this.xs[i]!;
    if (kind === STRING) return this.stringValues[this.xs[i]!]!;
    return kind === TRUE;
  }

  added(i: number): boolean {
    return this.tagBytes[i]! >= ADDED;
  }

  /** Each datom's tag (see above), a view of the column. */
  tags(): Uint8Array {
    return this.tagBytes.subarray(0, this.count);
  }

  /** The string values in datom order. */
  strings(): readonly string[] {
    return this.stringValues;
  }

  /** Whether any datom has one of `ids` as its attribute. */
  hasAttribute(ids: ReadonlySet<number>): boolean {
    for (let i = 0; i < this.count; i++) if (ids.has(this.as[i]!)) return true;
    return false;
  }

  rows(): DatomRow[] {
    return Array.from({ length: this.count }, (_, i) => [this.e(i), this.a(i), this.v(i), this.added(i)]);
  }

  private grow(): void {
    const capacity = Math.max(16, this.es.length * 2);
    this.es = widened(this.es, new Float64Array(capacity));
    this.as = widened(this.as, new Float64Array(capacity));
    this.xs = widened(this.xs, new Float64Array(capacity));
    this.tagBytes = widened(this.tagBytes, new Uint8Array(capacity));
  }
}

function widened<T extends Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
