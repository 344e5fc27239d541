/**
 * A relation: named columns over rows stored row-major in one flat array (`data[row * width + col]`),
 * so building and joining allocate no object per row. Joins hash the smaller side and chain rows
 * with the same key through an Int32Array instead of per-key arrays.
 */
import { assert } from '../../assert.js';
import { rowKey } from './values.js';

export class Relation {
  readonly vars: readonly string[];
  readonly width: number;
  readonly data: unknown[];
  size: number;

  constructor(vars: readonly string[], data: unknown[] = [], size = vars.length === 0 ? 0 : data.length / vars.length) {
    this.vars = vars;
    this.width = vars.length;
    this.data = data;
    this.size = size;
  }

  /** The relation with no columns and one row: the neutral element of join. */
  static unit(): Relation {
    return new Relation([], [], 1);
  }

  column(name: string): number {
    return this.vars.indexOf(name);
  }

  has(name: string): boolean {
    return this.vars.includes(name);
  }

  /** Appends `width` values of another row (or this relation's own) starting at `offset`. */
  pushFrom(source: readonly unknown[], offset: number): void {
    for (let i = 0; i < this.width; i++) this.data.push(source[offset + i]);
    this.size++;
  }

  /** Marks the row whose values were pushed directly onto `data` as complete. */
  endRow(): void {
    this.size++;
  }
}

/** The rows of `rel` with distinct values in the given columns, projected onto them. */
export function project(rel: Relation, vars: readonly string[]): Relation {
  const columns = vars.map((v) => {
    const c = rel.column(v);
    assert(c >= 0, `projected variable ${v} is a column`);
    return c;
  });
  const out = new Relation(vars);
  if (vars.length === 0) {
    out.size = rel.size > 0 ? 1 : 0;
    return out;
  }
  const seen = new Set<unknown>();
  for (let r = 0, offset = 0; r < rel.size; r++, offset += rel.width) {
    const key = rowKey(rel.data, offset, columns);
    if (seen.has(key)) continue;
    seen.add(key);
    for (const c of columns) out.data.push(rel.data[offset + c]);
    out.endRow();
  }
  return out;
}

export function distinct(rel: Relation): Relation {
  return project(rel, rel.vars);
}

interface JoinShape {
  leftKeys: number[];
  rightKeys: number[];
  rightExtra: number[];
  vars: string[];
}

function joinShape(left: Relation, right: Relation): JoinShape {
  const shape: JoinShape = { leftKeys: [], rightKeys: [], rightExtra: [], vars: [...left.vars] };
  right.vars.forEach((v, c) => {
    const l = left.column(v);
    if (l >= 0) {
      shape.leftKeys.push(l);
      shape.rightKeys.push(c);
    } else {
      shape.rightExtra.push(c);
      shape.vars.push(v);
    }
  });
  return shape;
}

/** Chains rows by key: `heads` maps a key to its last row, `next[row]` to the previous one (or -1). */
function hashRows(rel: Relation, columns: readonly number[]): { heads: Map<unknown, number>; next: Int32Array } {
  const heads = new Map<unknown, number>();
  const next = new Int32Array(rel.size);
  for (let r = 0, offset = 0; r < rel.size; r++, offset += rel.width) {
    const key = rowKey(rel.data, offset, columns);
    next[r] = heads.get(key) ?? -1;
    heads.set(key, r);
  }
  return { heads, next };
}

/** The natural join on shared variables; a product when none are shared. Columns: left's, then right's new ones. */
export function join(left: Relation, right: Relation): Relation {
  const shape = joinShape(left, right);
  const out = new Relation(shape.vars);
  if (left.size === 0 || right.size === 0) return out;
  if (shape.leftKeys.length === 0) {
    for (let l = 0; l < left.size; l++) {
      for (let r = 0; r < right.size; r++) emitJoined(out, left, l, right, r, shape.rightExtra);
    }
    return out;
  }
  const buildRight = right.size <= left.size;
  const [build, probe] = buildRight ? [right, left] : [left, right];
  const [buildKeys, probeKeys] = buildRight ? [shape.rightKeys, shape.leftKeys] : [shape.leftKeys, shape.rightKeys];
  const { heads, next } = hashRows(build, buildKeys);
  for (let p = 0, offset = 0; p < probe.size; p++, offset += probe.width) {
    for (let b = heads.get(rowKey(probe.data, offset, probeKeys)) ?? -1; b >= 0; b = next[b]) {
      if (buildRight) emitJoined(out, left, p, right, b, shape.rightExtra);
      else emitJoined(out, left, b, right, p, shape.rightExtra);
    }
  }
  return out;
}

function emitJoined(out: Relation, left: Relation, l: number, right: Relation, r: number, extra: number[]): void {
  const lo = l * left.width;
  for (let i = 0; i < left.width; i++) out.data.push(left.data[lo + i]);
  const ro = r * right.width;
  for (let i = 0; i < extra.length; i++) out.data.push(right.data[ro + extra[i]]);
  out.endRow();
}

/** The rows of `left` with no partner in `right` on their shared variables. */
export function antiJoin(left: Relation, right: Relation): Relation {
  const shape = joinShape(left, right);
  if (shape.leftKeys.length === 0) return right.size > 0 ? new Relation(left.vars) : left;
  const keys = new Set<unknown>();
  for (let r = 0, offset = 0; r < right.size; r++, offset += right.width) {
    keys.add(rowKey(right.data, offset, shape.rightKeys));
  }
  const out = new Relation(left.vars);
  for (let l = 0, offset = 0; l < left.size; l++, offset += left.width) {
    if (!keys.has(rowKey(left.data, offset, shape.leftKeys))) out.pushFrom(left.data, offset);
  }
  return out;
}

/** A growing set of rows over fixed columns: union of branches and fixpoint accumulation. */
export class RowSet {
  readonly rel: Relation;
  private readonly keys = new Set<unknown>();

  constructor(vars: readonly string[]) {
    this.rel = new Relation(vars);
  }

  /** Adds the rows of `from` (same variables, maybe in another order); returns the rows that were new. */
  addAll(from: Relation): Relation {
    const columns = this.rel.vars.map((v) => from.column(v));
    assert(columns.every((c) => c >= 0), 'a row set receives rows over its own variables');
    const added = new Relation(this.rel.vars);
    if (this.rel.width === 0) {
      if (from.size > 0 && this.rel.size === 0) this.rel.size = added.size = 1;
      return added;
    }
    for (let r = 0, offset = 0; r < from.size; r++, offset += from.width) {
      const key = rowKey(from.data, offset, columns);
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      for (const c of columns) {
        this.rel.data.push(from.data[offset + c]);
        added.data.push(from.data[offset + c]);
      }
      this.rel.endRow();
      added.endRow();
    }
    return added;
  }
}
