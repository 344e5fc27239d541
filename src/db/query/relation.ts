/**
 * A relation: named columns over rows stored row-major in one flat array (`data[row * width + col]`),
 * so building and joining allocate no object per row. Joins hash the smaller side and chain rows
 * with the same key through an Int32Array instead of per-key arrays.
 */
import { assert } from '../assert.js';
import { relationGrew, rowCheckMask } from './budget.js';
import { KeyTable } from './key-table.js';

export class Relation {
  readonly vars: readonly string[];
  readonly width: number;
  readonly data: unknown[];
  size: number;

  constructor(
    vars: readonly string[],
    data: unknown[] = [],
    size = vars.length === 0 ? 0 : data.length / vars.length,
  ) {
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
    this.endRow();
  }

  /** Marks the row whose values were pushed directly onto `data` as complete (within the query's budget). */
  endRow(): void {
    if ((++this.size & rowCheckMask) === 0) relationGrew(this.size, this.width);
  }
}

const allColumns = (width: number) => Array.from({ length: width }, (_, i) => i);

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
  const seen = new KeyTable(out.data, out.width, allColumns(out.width), rel.size);
  for (let r = 0, offset = 0; r < rel.size; r++, offset += rel.width) {
    if (seen.lookup(rel.data, offset, columns, out.size) >= 0) continue;
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

/** Indexes rows by key; `next[row]` chains the further rows with the key of a first row (or -1). */
function hashRows(rel: Relation, columns: readonly number[]): { table: KeyTable; next: Int32Array } {
  const table = new KeyTable(rel.data, rel.width, columns, rel.size);
  const next = new Int32Array(rel.size).fill(-1);
  for (let r = 0, offset = 0; r < rel.size; r++, offset += rel.width) {
    const first = table.lookup(rel.data, offset, columns, r);
    if (first >= 0) [next[r], next[first]] = [next[first], r];
  }
  return { table, next };
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
  const [buildKeys, probeKeys] = buildRight
    ? [shape.rightKeys, shape.leftKeys]
    : [shape.leftKeys, shape.rightKeys];
  const { table, next } = hashRows(build, buildKeys);
  for (let p = 0, offset = 0; p < probe.size; p++, offset += probe.width) {
    for (let b = table.lookup(probe.data, offset, probeKeys); b >= 0; b = next[b]) {
      if (buildRight) emitJoined(out, left, p, right, b, shape.rightExtra);
      else emitJoined(out, left, b, right, p, shape.rightExtra);
    }
  }
  return out;
}

function emitJoined(
  out: Relation,
  left: Relation,
  l: number,
  right: Relation,
  r: number,
  extra: number[],
): void {
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
  const keys = new KeyTable(right.data, right.width, shape.rightKeys, right.size);
  for (let r = 0, offset = 0; r < right.size; r++, offset += right.width) {
    keys.lookup(right.data, offset, shape.rightKeys, r);
  }
  const out = new Relation(left.vars);
  for (let l = 0, offset = 0; l < left.size; l++, offset += left.width) {
    if (keys.lookup(left.data, offset, shape.leftKeys) < 0) out.pushFrom(left.data, offset);
  }
  return out;
}

/** A growing set of rows over fixed columns: union of branches and fixpoint accumulation. */
export class RowSet {
  readonly rel: Relation;
  private readonly keys: KeyTable;

  constructor(vars: readonly string[]) {
    this.rel = new Relation(vars);
    this.keys = new KeyTable(this.rel.data, this.rel.width, allColumns(this.rel.width), 0);
  }

  /** Adds the rows of `from` (same variables, maybe in another order); returns the rows that were new. */
  addAll(from: Relation): Relation {
    const columns = this.rel.vars.map((v) => from.column(v));
    assert(
      columns.every((c) => c >= 0),
      'a row set receives rows over its own variables',
    );
    const added = new Relation(this.rel.vars);
    if (this.rel.width === 0) {
      if (from.size > 0 && this.rel.size === 0) this.rel.size = added.size = 1;
      return added;
    }
    for (let r = 0, offset = 0; r < from.size; r++, offset += from.width) {
      if (this.keys.lookup(from.data, offset, columns, this.rel.size) >= 0) continue;
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
