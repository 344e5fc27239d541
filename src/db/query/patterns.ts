/**
 * Data patterns against a QuerySource. A pattern meets the rows before it either by index
 * nested loop (one `source.match` per row with its bound values pushed down) or by one scan with
 * only the constants, hash-joined; the cheaper by `source.estimate` wins. Predicates over the
 * pattern's variables may be pushed into it (see matchPattern).
 */
import type { Attribute, Value } from '../types.js';
import type { PatternClause, PredicateClause, Term } from './ast.js';
import { spend } from './budget.js';
import { FunctionError } from './builtins.js';
import { allOf, clauseError, compilePredicate, isTotal, type RowTest, type Scope } from './filters.js';
import { isLookupRef, lookupEntity } from './lookup.js';
import { queryError } from './query-error.js';
import { antiJoin, distinct, join, Relation } from './relation.js';
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
  if (!isLookupRef(ref)) {
    throw queryError(
      `an entity is an id or a lookup ref [attribute, value], not ${JSON.stringify(ref)} (or, if this is a function call, no function has that name)`,
      p.json,
    );
  }
  let found: number | undefined;
  try {
    found = lookupEntity(source, ref);
  } catch (error) {
    throw clauseError(error, p.json);
  }
  if (found === undefined) throw queryError(`nothing found for lookup ref ${JSON.stringify(ref)}`, p.json);
  return found;
}

/** The namespace of the schema's own attributes. */
const systemPrefix = 'db/';

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
  /**
   * The attribute is not given: skip the schema's own datoms (`db/*` attributes), as Datascript,
   * whose schema is not data, does. Naming a `db/*` attribute still reaches them.
   */
  readonly userDataOnly: boolean;
}

function compile(p: PatternClause, ctx: Relation, resolved: ResolvedPattern, isHistory: boolean): Compiled {
  const c: Compiled = {
    kinds: [],
    args: [],
    vars: [...ctx.vars],
    emits: [],
    checks: [],
    needsDistinct: false,
    userDataOnly: false,
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
  const k = c.kinds;
  const hidden =
    k[0] === Slot.Blank ||
    k[1] === Slot.Blank ||
    k[2] === Slot.Blank ||
    (isHistory && (k[3] === Slot.Blank || k[4] === Slot.Blank));
  const userDataOnly = k[1] !== Slot.Const && k[1] !== Slot.Bound;
  return { ...c, needsDistinct: hidden && c.emits.length > 0, userDataOnly };
}

function set(c: Compiled, i: number, kind: Slot, arg: unknown, check: boolean): void {
  c.kinds[i] = kind;
  c.args[i] = arg;
  if (check) c.checks.push(i);
}

function constantAt(i: number, value: unknown, resolved: ResolvedPattern): unknown {
  return i === 0 ? resolved.e : i === 1 ? resolved.attribute : i === 2 ? resolved.v : value;
}

/**
 * The rows of `ctx` extended with the pattern's new variables, one row per matching datom, kept
 * only when they pass `filters` (predicates whose variables the pattern binds: pushed down so a
 * row that fails is never built).
 */
export function matchPattern(
  source: QuerySource,
  scope: Scope,
  ctx: Relation,
  p: PatternClause,
  resolved: ResolvedPattern,
  filters: readonly PredicateClause[] = [],
): Relation {
  const compiled = compile(p, ctx, resolved, source.isHistory);
  if (ctx.size === 0) return new Relation(compiled.vars);
  if (ctx.width === 0 && ctx.size === 1) return nestedLoop(source, scope, ctx, compiled, filters);
  const shared = compiled.kinds.some((k) => k === Slot.Bound);
  if (shared && (preferLookups(source, ctx, compiled, resolved) || boundLookupRefs(ctx, compiled, resolved)))
    return nestedLoop(source, scope, ctx, compiled, filters);
  // One scan hash-joined: only predicates that cannot throw run inside the scan, since it also
  // meets datoms the join drops; the others run on the joined rows.
  const unit = Relation.unit();
  const scanCompiled = compile(p, unit, resolved, source.isHistory);
  const inScan = filters.filter((f) => isTotal(f) && f.vars.every((v) => scanCompiled.vars.includes(v)));
  const scanned = nestedLoop(source, scope, unit, scanCompiled, inScan);
  const joined = join(ctx, scanned);
  return inScan.length === filters.length
    ? joined
    : filterRelation(
        scope,
        joined,
        filters.filter((f) => !inScan.includes(f)),
      );
}

/**
 * The rows of `ctx` for which no datom matches the pattern and passes `filters`: a `not` whose
 * body is one pattern, without building the matching rows. The pattern's variables that `ctx`
 * has are its join variables. Undefined when a filter could not run inside the scan.
 */
export function antiMatchPattern(
  source: QuerySource,
  scope: Scope,
  ctx: Relation,
  p: PatternClause,
  resolved: ResolvedPattern,
  filters: readonly PredicateClause[],
): Relation | undefined {
  const compiled = compile(p, ctx, resolved, source.isHistory);
  const shared = compiled.kinds.some((k) => k === Slot.Bound);
  if (shared && (preferLookups(source, ctx, compiled, resolved) || boundLookupRefs(ctx, compiled, resolved)))
    return nestedLoop(source, scope, ctx, compiled, filters, true);
  const unit = Relation.unit();
  const scanCompiled = compile(p, unit, resolved, source.isHistory);
  if (!filters.every((f) => isTotal(f) && f.vars.every((v) => scanCompiled.vars.includes(v))))
    return undefined;
  return antiJoin(ctx, nestedLoop(source, scope, unit, scanCompiled, filters));
}

/** The rows of `rel` that pass every predicate. */
export function filterRelation(scope: Scope, rel: Relation, filters: readonly PredicateClause[]): Relation {
  const test = allOf(filters.map((f) => compilePredicate(scope, f, (name) => rel.column(name))));
  if (test === null) return rel;
  const out = new Relation(rel.vars);
  for (let r = 0, offset = 0; r < rel.size; r++, offset += rel.width) {
    if (test(rel.data, offset)) out.pushFrom(rel.data, offset);
  }
  return out;
}

/**
 * Whether a bound entity (or value) position holds lookup refs: they match by the entity they
 * name, which only per-row lookups resolve (a hash join would compare the refs themselves).
 */
function boundLookupRefs(ctx: Relation, c: Compiled, resolved: ResolvedPattern): boolean {
  for (const i of [0, 2]) {
    if (c.kinds[i] !== Slot.Bound) continue;
    // Vectors bound to the value of a known attribute that is not a ref are plain values.
    if (i === 2 && resolved.attribute !== undefined && resolved.attribute.valueType !== 'ref') continue;
    const column = c.args[i] as number;
    for (let offset = column; offset < ctx.data.length; offset += ctx.width)
      if (typeof ctx.data[offset] === 'object' && ctx.data[offset] !== null) return true;
  }
  return false;
}

/** Per-row lookups win when rows × (fan-out of a sample row + 1) is below one scan plus the rows. */
function preferLookups(source: QuerySource, ctx: Relation, c: Compiled, resolved: ResolvedPattern): boolean {
  const samples = Math.min(ctx.size, 3);
  const args = new Pushed();
  let fanout = 0;
  for (let r = 0; r < samples; r++) {
    if (args.read(source, ctx.data, r * ctx.width, c)) fanout += source.estimate(args.e, args.a, args.v);
  }
  return ctx.size * (fanout / samples + 1) <= resolved.rows + ctx.size;
}

/** A bound entity: an id, or a lookup ref that must name an entity (as in Datascript). */
function strictEntity(source: QuerySource, x: unknown): unknown {
  if (!isLookupRef(x)) return x;
  const e = lookupEntity(source, x);
  if (e === undefined) throw new FunctionError(`nothing found for lookup ref ${JSON.stringify(x)}`);
  return e;
}

/** The e, a, v pushed into source.match for one row (reused across rows). */
class Pushed {
  e: number | undefined = undefined;
  a: Attribute | undefined = undefined;
  v: Value | undefined = undefined;
  private readonly attributes = new Map<unknown, Attribute | undefined>();

  /** Reads the row at `offset`; false when a bound value cannot match anything. */
  read(source: QuerySource, data: readonly unknown[], offset: number, c: Compiled): boolean {
    let e = valueAt(c, data, offset, 0);
    let v = valueAt(c, data, offset, 2);
    if (typeof e === 'object' && e !== null) e = strictEntity(source, e);
    if ((e !== undefined && typeof e !== 'number') || v === null) return false;
    let a = valueAt(c, data, offset, 1) as Attribute | string | undefined;
    if (typeof a === 'string') {
      if (!this.attributes.has(a)) this.attributes.set(a, source.attribute(a));
      a = this.attributes.get(a);
      if (a === undefined) return false;
    } else if (c.kinds[1] === Slot.Bound) return false;
    // A lookup ref bound as the value of a ref attribute names its entity.
    if (typeof v === 'object' && v !== null && a?.valueType === 'ref') v = strictEntity(source, v);
    this.e = e as number | undefined;
    this.a = a;
    this.v = v as Value | undefined;
    return true;
  }
}

function valueAt(c: Compiled, data: readonly unknown[], offset: number, i: number): unknown {
  const kind = c.kinds[i];
  return kind === Slot.Bound
    ? data[offset + (c.args[i] as number)]
    : kind === Slot.Const
      ? c.args[i]
      : undefined;
}

function nestedLoop(
  source: QuerySource,
  scope: Scope,
  ctx: Relation,
  c: Compiled,
  filters: readonly PredicateClause[],
  anti = false,
): Relation {
  const out = new Relation(anti ? ctx.vars : c.vars);
  const test = allOf(filters.map((f) => compilePredicate(scope, f, (name) => c.vars.indexOf(name))));
  const sink = new Sink(out, ctx, c, test, anti);
  const visit = sink.visit;
  const args = new Pushed();
  // The lean match skips the tx lookup when the pattern does not read it.
  const lean = source.matchLean !== undefined;
  const needTx = c.kinds[3] !== Slot.Blank;
  for (let r = 0, offset = 0; r < ctx.size; r++, offset += ctx.width) {
    if (!args.read(source, ctx.data, offset, c)) {
      if (anti) out.pushFrom(ctx.data, offset);
      continue;
    }
    sink.start(offset);
    if (lean && args.a !== undefined) source.matchLean!(args.e, args.a, args.v, needTx, visit);
    else source.match(args.e, args.a, args.v, visit);
    spend(1 + sink.visited);
    // Anti mode keeps the rows of the context nothing matched.
    if (anti && !sink.emitted) out.pushFrom(ctx.data, offset);
  }
  if (anti) return out;
  return c.needsDistinct ? distinct(out) : out;
}

/** Receives the datoms matched for one row of the context and appends the rows they make. */
class Sink {
  private offset = 0;
  /** Whether a datom passed for the current row of the context. */
  emitted = false;
  /** Datoms visited for the current row of the context, for the query's time budget. */
  visited = 0;
  private readonly existsOnly: boolean;
  /** The candidate row, when predicates must see it before it is appended. */
  private readonly candidate: unknown[];
  /** The visitor passed to source.match (assigned in the constructor: one closure per sink). */
  readonly visit: (e: number, a: Attribute, v: Value, tx: number, added: boolean) => void;

  constructor(
    private readonly out: Relation,
    private readonly ctx: Relation,
    private readonly c: Compiled,
    private readonly test: RowTest | null,
    /** Only record that a datom passed (for antiMatchPattern), appending nothing. */
    private readonly anti: boolean,
  ) {
    this.existsOnly = anti || c.emits.length === 0;
    this.candidate = new Array<unknown>(c.vars.length);
    this.visit = (e, a, v, tx, added) => this.datom(e, a, v, tx, added);
  }

  start(offset: number): void {
    this.offset = offset;
    this.emitted = false;
    this.visited = 0;
  }

  private datom(e: number, a: Attribute, v: Value, tx: number, added: boolean): void {
    this.visited++;
    if (this.existsOnly && this.emitted) return;
    const { c, ctx, offset } = this;
    if (c.userDataOnly && a.ident.startsWith(systemPrefix)) return;
    const checks = c.checks;
    for (let k = 0; k < checks.length; k++) {
      const i = checks[k];
      const got = positionValue(i, e, a, v, tx, added);
      const kind = c.kinds[i];
      const want =
        kind === Slot.Bound
          ? ctx.data[offset + (c.args[i] as number)]
          : kind === Slot.Repeat
            ? positionValue(c.args[i] as number, e, a, v, tx, added)
            : c.args[i];
      if (got !== want && !valueEquals(got, want)) return;
    }
    const width = ctx.width;
    const emits = c.emits;
    if (this.test === null) {
      if (this.anti) {
        this.emitted = true;
        return;
      }
      const data = this.out.data;
      for (let i = 0; i < width; i++) data.push(ctx.data[offset + i]);
      for (let k = 0; k < emits.length; k++) data.push(positionValue(emits[k], e, a, v, tx, added));
    } else {
      const row = this.candidate;
      for (let i = 0; i < width; i++) row[i] = ctx.data[offset + i];
      for (let k = 0; k < emits.length; k++) row[width + k] = positionValue(emits[k], e, a, v, tx, added);
      if (!this.test(row, 0)) return;
      this.emitted = true;
      if (this.anti) return;
      const data = this.out.data;
      for (let i = 0; i < row.length; i++) data.push(row[i]);
    }
    this.out.endRow();
    this.emitted = true;
  }
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
