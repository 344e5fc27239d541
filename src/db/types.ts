/** The information model's shapes, shared by every part of src/db. */

export type ValueType = 'string' | 'number' | 'integer' | 'boolean' | 'instant' | 'ref' | 'vector';

/** A value as users see it: instants are epoch milliseconds, refs are entity ids. */
export type Value = string | number | boolean | readonly number[];

/** One attribute of the schema, as of some tx. */
export interface Attribute {
  /** The attribute's entity id; also its key in the datom columns. */
  readonly id: number;
  readonly ident: string;
  readonly valueType: ValueType;
  readonly many: boolean;
  readonly unique: 'identity' | 'value' | undefined;
  /** Kept in the AVET index (unique attributes and refs always are). */
  readonly indexed: boolean;
  /** Write-once: once an entity has a value, asserting a different one is a conflict. */
  readonly immutable: boolean;
  readonly doc: string | undefined;
}

/** A schema declaration, as users write it. */
export interface AttributeSpec {
  valueType: ValueType;
  cardinality?: 'one' | 'many';
  unique?: 'identity' | 'value';
  indexed?: boolean;
  immutable?: boolean;
  doc?: string;
}
export type SchemaSpec = Record<string, AttributeSpec>;

/** One fact. `tx` is the transaction's id (a hybrid-logical-clock value), not its position. */
export interface Datom {
  readonly e: number;
  readonly a: string;
  readonly v: Value;
  readonly tx: number;
  readonly added: boolean;
}

export type IndexName = 'eavt' | 'aevt' | 'avet';
