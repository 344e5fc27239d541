/**
 * Data patterns against a QuerySource. A pattern meets the rows before it either by index
 * nested loop (one `source.match` per row with its bound values pushed down) or by one scan with
 * only the constants, hash-joined; the cheaper by `source.estimate` wins.
 */
import type { Attribute, Value } from '../types.js';
import type { PatternClause, Term } from './ast.js';
import { queryError } from './query-error.js';
import { distinct, join, Relation } from './relation.js';
import type { QuerySource } from './source.js';
import { valueEquals } from './values.js';

/** A pattern's constants resolved against one source: attribute, entity (lookup refs resolved), value. */
export interface ResolvedPattern {
  readonly attribute: Attribute | undefined;
  readonly e: number | undefined;
  readonly v: Value | undefined;
  /** source.estimate with the constants only. */
  readonly rows: number;
}

export function resolvePattern(source: QuerySource, p: PatternClause): ResolvedPattern {
  const [e, a, v] = p.terms;
  const attribute = a.kind === 'const' ? resolveAttribute(source, a.value, p) : undefined;
  const entity = e.kind === 'const' ? resolveEntity(source, e.value, p) : undefined;
  let value = v.kind === 'const' ? (v.value as Value) : undefined;
  if (attribute?.valueType === 'ref' && Array.isArray(value)) value = resolveEntity(source, value, p);
  if (v.kind === 'const' && (value === null || value === undefined))
    throw queryError('a pattern value cannot be nil', p.json);
  return { attribute, e: entity, v: value, rows: source.estimate(entity, attribute, value) };
}

function resolveAttribute(source: QuerySource, ident: unknown, p: PatternClause): Attribute {
  const attribute = typeof ident === 'number' ? source.attributeById(ident) : source.attribute(String(ident));
  if (attribute === undefined) throw queryError(`unknown attribute ${JSON.stringify(ident)}`, p.json);
  return attribute;
}

function resolveEntity(source: QuerySource, ref: unknown, p: PatternClause): number {
  if (typeof ref === 'number') return ref;
  if (!Array.isArray(ref) || ref.length !== 2 || typeof ref[0] !== 'string') {
    throw queryError(
      `an entity is an id or a lookup ref [attribute, value], not ${JSON.stringify(ref)}`,
      p.json,
    );
  }
  const attribute = source.attribute(ref[0]);
  if (attribute?.unique === undefined)
    throw queryError(`lookup ref attribute ${ref[0]} is not unique`, p.json);
  let found: number | undefined;
  source.match(undefined, attribute, ref[1] as Value, (e) => {
    found ??= e;
  });
  if (found === undefined) throw queryError(`nothing found for lookup ref ${JSON.stringify(ref)}`, p.json);
  return found;
}

enum Slot {
  Const = 0,
  Bound = 1,
  New = 2,
  Repeat = 3,
  Blank = 4,
}

/** What each of the five positions does: its kind and an argument (constant, column, or position). */
interface Compiled {
  readonly kinds: Slot[];
  readonly args: unknown[];
  readonly vars: string[];
  /** Positions whose values are appended to each output row, in order. */
  readonly emits: number[];
  /** Positions checked in the visitor (not pushed into source.match). */
  readonly checks: number[];
  readonly needsDistinct: boolean;
}

function compile(p: PatternClause, ctx: Relation, resolved: ResolvedPattern, isHistory: boolean): Compiled {
  const c: Compiled = {
    kinds: [],
    args: [],
    vars: [...ctx.vars],
    emits: [],
    checks: [],
    needsDistinct: false,
  };
  const firstAt = new Map<string, number>();
  p.terms.forEach((t: Term, i) => {
    if (t.kind === 'var' && ctx.has(t.name)) set(c, i, Slot.Bound, ctx.column(t.name), i >= 3);
    else if (t.kind === 'var' && firstAt.has(t.name)) set(c, i, Slot.Repeat, firstAt.get(t.name), true);
    else if (t.kind === 'var') {
      firstAt.set(t.name, i);
      c.vars.push(t.name);
      c.emits.push(i);
      set(c, i, Slot.New, undefined, false);
    } else if (t.kind === 'const') set(c, i, Slot.Const, constantAt(i, t.value, resolved), i >= 3);
    else set(c, i, Slot.Blank, undefined, false);
  });
  const blankAt = (i: number) => c.kinds[i] === Slot.Blank;
  const hidden = blankAt(0) || blankAt(1) || blankAt(2) || (isHistory && (blankAt(3) || blankAt(4)));
  return { ...c, needsDistinct: hidden && c.emits.length > 0 };
}

function set(c: Compiled, i: number, kind: Slot, arg: unknown, check: boolean): void {
  c.kinds[i] = kind;
  c.args[i] = arg;
  if (check) c.checks.push(i);
}

function constantAt(i: number, value: unknown, resolved: ResolvedPattern): unknown {
  return i === 0 ? resolved.e : i === 1 ? resolved.attribute : i === 2 ? resolved.v : value;
}

/** The rows of `ctx` extended with the pattern's new variables, one row per matching datom. */
export function matchPattern(
  source: QuerySource,
  ctx: Relation,
  p: PatternClause,
  resolved: ResolvedPattern,
): Relation {
  const compiled = compile(p, ctx, resolved, source.isHistory);
  const shared = compiled.kinds.some((k) => k === Slot.Bound);
  if (ctx.size === 0) return new Relation(compiled.vars);
  if (!shared || !preferLookups(source, ctx, compiled, resolved)) {
    const unit = Relation.unit();
    const scanned = nestedLoop(source, unit, compile(p, unit, resolved, source.isHistory));
    return ctx.width === 0 && ctx.size === 1 ? scanned : join(ctx, scanned);
  }
  return nestedLoop(source, ctx, compiled);
}

/** Per-row lookups win when rows × (fan-out of a sample row + 1) is below one scan plus the rows. */
function preferLookups(source: QuerySource, ctx: Relation, c: Compiled, resolved: ResolvedPattern): boolean {
  const samples = Math.min(ctx.size, 3);
  const attributes = new Map<unknown, Attribute | undefined>();
  let fanout = 0;
  for (let r = 0; r < samples; r++) {
    const [e, a, v] = pushed(source, ctx.data, r * ctx.width, c, attributes);
    fanout += e === null ? 0 : source.estimate(e, a, v);
  }
  return ctx.size * (fanout / samples + 1) <= resolved.rows + ctx.size;
}

/** The e, a, v pushed into source.match for one row; null when a bound value cannot match. */
function pushed(
  source: QuerySource,
  data: readonly unknown[],
  offset: number,
  c: Compiled,
  attributes: Map<unknown, Attribute | undefined>,
): [number | undefined, Attribute | undefined, Value | undefined] | [null] {
  const at = (i: number) =>
    c.kinds[i] === Slot.Bound
      ? data[offset + (c.args[i] as number)]
      : c.kinds[i] === Slot.Const
        ? c.args[i]
        : undefined;
  const e = at(0);
  const v = at(2);
  if ((e !== undefined && typeof e !== 'number') || v === null) return [null];
  let a = at(1) as Attribute | string | undefined;
  if (typeof a === 'string') {
    if (!attributes.has(a)) attributes.set(a, source.attribute(a));
    a = attributes.get(a);
    if (a === undefined) return [null];
  } else if (c.kinds[1] === Slot.Bound) return [null];
  return [e, a, v as Value | undefined];
}

function nestedLoop(source: QuerySource, ctx: Relation, c: Compiled): Relation {
  const out = new Relation(c.vars);
  const data = out.data;
  const width = ctx.width;
  const existsOnly = c.emits.length === 0;
  const attributes = new Map<unknown, Attribute | undefined>();
  let offset = 0;
  let emitted = false;
  const visit = (e: number, a: Attribute, v: Value, tx: number, added: boolean) => {
    if (existsOnly && emitted) return;
    for (const i of c.checks) {
      const got = positionValue(i, e, a, v, tx, added);
      const want =
        c.kinds[i] === Slot.Bound
          ? ctx.data[offset + (c.args[i] as number)]
          : c.kinds[i] === Slot.Repeat
            ? positionValue(c.args[i] as number, e, a, v, tx, added)
            : c.args[i];
      if (!valueEquals(got, want)) return;
    }
    for (let i = 0; i < width; i++) data.push(ctx.data[offset + i]);
    for (const i of c.emits) data.push(positionValue(i, e, a, v, tx, added));
    out.endRow();
    emitted = true;
  };
  for (let r = 0; r < ctx.size; r++, offset += width) {
    const args = pushed(source, ctx.data, offset, c, attributes);
    if (args[0] === null) continue;
    emitted = false;
    source.match(args[0], args[1], args[2], visit);
  }
  return c.needsDistinct ? distinct(out) : out;
}

function positionValue(i: number, e: number, a: Attribute, v: Value, tx: number, added: boolean): unknown {
  switch (i) {
    case 0:
      return e;
    case 1:
      return a.ident;
    case 2:
      return v;
    case 3:
      return tx;
    default:
      return added;
  }
}
