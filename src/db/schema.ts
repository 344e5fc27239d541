/**
 * The schema, stored as data. Each attribute is an entity whose own attributes are the bootstrap
 * attributes below (`db/ident`, `db/valueType`, ...), so schema changes are transactions with
 * history like any other. A `Schema` is an immutable snapshot as of some tx.
 *
 * Attributes also get a dense `slot`, the number stored in the datom column for the attribute.
 * Slots are assigned in order of creation, so replaying the log assigns the same ones.
 */
import { assert } from './assert.js';
import type { Attribute, AttributeSpec, SchemaSpec, ValueType } from './types.js';

export interface SchemaAttribute extends Attribute {
  readonly slot: number;
}

/** Entity locals 1..SYSTEM_LOCAL_MAX are reserved for the bootstrap attributes. */
export const SYSTEM_LOCAL_MAX = 1023;

const bootstrapSpecs: [string, AttributeSpec][] = [
  ['db/ident', { valueType: 'string', unique: 'identity', doc: "an attribute's name" }],
  ['db/valueType', { valueType: 'string', immutable: true, doc: 'string, number, integer, ...' }],
  ['db/cardinality', { valueType: 'string', doc: 'one or many' }],
  ['db/unique', { valueType: 'string', doc: 'identity or value' }],
  ['db/index', { valueType: 'boolean', doc: 'kept in the AVET index' }],
  ['db/doc', { valueType: 'string', doc: 'documentation' }],
  ['db/immutable', { valueType: 'boolean', doc: 'write-once: a different value is a conflict' }],
];

/** The bootstrap attributes' idents, which define other attributes. */
export const defining = new Set(bootstrapSpecs.map(([ident]) => ident));

export class Schema {
  private readonly byIdent: Map<string, SchemaAttribute>;
  private readonly byId: Map<number, SchemaAttribute>;
  readonly bySlot: readonly SchemaAttribute[];

  constructor(attributes: readonly SchemaAttribute[]) {
    this.bySlot = attributes;
    this.byIdent = new Map(attributes.map((a) => [a.ident, a]));
    this.byId = new Map(attributes.map((a) => [a.id, a]));
    attributes.forEach((a, slot) => assert(a.slot === slot, 'attribute slots are dense'));
  }

  static bootstrap(entityBase: number): Schema {
    return new Schema(
      bootstrapSpecs.map(([ident, spec], slot) => toAttribute(entityBase + slot + 1, slot, ident, spec)),
    );
  }

  attribute(ident: string): SchemaAttribute | undefined {
    return this.byIdent.get(ident);
  }

  attributeById(id: number): SchemaAttribute | undefined {
    return this.byId.get(id);
  }

  /** The schema with `attribute` added or replaced (same slot when replaced). */
  with(attribute: SchemaAttribute): Schema {
    const next = [...this.bySlot];
    next[attribute.slot] = attribute;
    return new Schema(next);
  }

  /** The user attributes as a spec, for display and round trips. */
  toSpec(): SchemaSpec {
    const spec: SchemaSpec = {};
    for (const a of this.bySlot) if (!defining.has(a.ident)) spec[a.ident] = toSpec(a);
    return spec;
  }
}

export function toAttribute(id: number, slot: number, ident: string, spec: AttributeSpec): SchemaAttribute {
  const unique = spec.unique;
  return {
    id,
    slot,
    ident,
    valueType: spec.valueType,
    many: spec.cardinality === 'many',
    unique,
    indexed: spec.indexed === true || unique !== undefined || spec.valueType === 'ref',
    immutable: spec.immutable === true,
    doc: spec.doc,
  };
}

function toSpec(a: Attribute): AttributeSpec {
  const spec: AttributeSpec = { valueType: a.valueType, cardinality: a.many ? 'many' : 'one' };
  if (a.unique) spec.unique = a.unique;
  if (a.indexed && !a.unique && a.valueType !== 'ref') spec.indexed = true;
  if (a.immutable) spec.immutable = true;
  if (a.doc !== undefined) spec.doc = a.doc;
  return spec;
}

/** The tx data (entity maps) that declares `spec`. */
export function schemaTxData(spec: SchemaSpec): Record<string, unknown>[] {
  return Object.entries(spec).map(([ident, s]) => {
    const entity: Record<string, unknown> = {
      'db/ident': ident,
      'db/valueType': s.valueType,
      'db/cardinality': s.cardinality ?? 'one',
    };
    if (s.unique !== undefined) entity['db/unique'] = s.unique;
    if (s.indexed !== undefined) entity['db/index'] = s.indexed;
    if (s.immutable !== undefined) entity['db/immutable'] = s.immutable;
    if (s.doc !== undefined) entity['db/doc'] = s.doc;
    return entity;
  });
}

export function isValueType(x: unknown): x is ValueType {
  return (
    x === 'string' ||
    x === 'number' ||
    x === 'integer' ||
    x === 'boolean' ||
    x === 'instant' ||
    x === 'ref' ||
    x === 'vector'
  );
}
