/**
 * Values by type: the check every write goes through, and the mapping between the value users
 * see and the raw float64 kept in the datom column.
 *
 * A checked value is "normal": strings and vectors as strings (a vector as its canonical JSON),
 * booleans as booleans, everything else as a number. The raw form interns strings and maps
 * booleans to 0/1, so equal values have equal raw numbers within one attribute.
 */
import type { Interner } from './intern.js';
import type { Attribute, Value, ValueType } from './types.js';

export type Normal = string | number | boolean;

const rules: Record<ValueType, string> = {
  string: 'must be a string',
  number: 'must be a finite number',
  integer: 'must be a safe integer',
  boolean: 'must be true or false',
  instant: 'must be epoch milliseconds (a safe integer) or a Date',
  ref: 'must be an entity id, a tempid or a lookup ref',
  vector: 'must be a non-empty array of finite numbers',
};

export function typeRule(valueType: ValueType): string {
  return rules[valueType];
}

/** The rule `value` breaks, once normalize has refused it for `valueType`. */
export function brokenRule(valueType: ValueType, value: unknown): string {
  return typeof value === 'string' && valueType === 'string'
    ? 'must be well-formed Unicode (a lone surrogate has no UTF-8 form)'
    : rules[valueType];
}

/** The normal form of `value` for a non-ref attribute, or undefined if it does not fit the type. */
export function normalize(valueType: ValueType, value: unknown): Normal | undefined {
  switch (valueType) {
    case 'string':
      // A lone surrogate has no UTF-8 form: the log would store U+FFFD instead, so the value
      // would change after a restart (and a unique one could then collide).
      return typeof value === 'string' && value.isWellFormed() ? value : undefined;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'integer':
      return Number.isSafeInteger(value) ? (value as number) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'instant': {
      const ms = value instanceof Date ? value.getTime() : value;
      return Number.isSafeInteger(ms) ? (ms as number) : undefined;
    }
    case 'vector':
      return Array.isArray(value) && value.length > 0 && value.every((x) => Number.isFinite(x))
        ? JSON.stringify(value)
        : undefined;
    case 'ref':
      return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined;
  }
}

/** Raw form of a normal value; strings are interned when `create`, else -1 if unknown. */
export function toRaw(strings: Interner, normal: Normal, create: boolean): number {
  if (typeof normal === 'number') return normal;
  if (typeof normal === 'boolean') return normal ? 1 : 0;
  return create ? strings.intern(normal) : strings.lookup(normal);
}

/** True when an unknown string (raw -1) cannot match any stored datom. */
export function isStoredRaw(raw: number, attr: Attribute): boolean {
  return !(raw === -1 && usesStrings(attr.valueType));
}

export function usesStrings(valueType: ValueType): boolean {
  return valueType === 'string' || valueType === 'vector';
}

/** The value users see for a raw column value. */
export function fromRaw(strings: Interner, valueType: ValueType, raw: number): Value {
  switch (valueType) {
    case 'string':
      return strings.string(raw);
    case 'vector':
      return JSON.parse(strings.string(raw)) as number[];
    case 'boolean':
      return raw === 1;
    default:
      return raw;
  }
}

/** The normal form of a value users see (the inverse of fromRaw, before interning). */
export function normalOf(valueType: ValueType, value: Value): Normal {
  return valueType === 'vector' ? JSON.stringify(value) : (value as Normal);
}
