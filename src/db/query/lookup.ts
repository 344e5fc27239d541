/**
 * Lookup refs: `[attribute, value]` with a unique attribute names the entity holding that value.
 * They may stand wherever an entity does: in patterns, in inputs (scalar, collection, relation),
 * as the value of a ref attribute, in get-else, missing? and pull. A variable bound to a lookup
 * ref keeps it as its value (as in Datascript); it is resolved only where it is matched.
 */
import type { Value } from '../types.js';
import { FunctionError } from './builtins.js';
import type { QuerySource } from './source.js';

export function isLookupRef(x: unknown): x is readonly [string, unknown] {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === 'string';
}

/**
 * The entity a lookup ref names in `source`, or undefined when no entity has the value. Throws
 * when the attribute is unknown or not unique (nothing could ever match).
 */
export function lookupEntity(source: QuerySource, ref: readonly [string, unknown]): number | undefined {
  const attribute = source.attribute(ref[0]);
  if (attribute === undefined)
    throw new FunctionError(`lookup ref ${JSON.stringify(ref)}: unknown attribute ${ref[0]}`);
  if (attribute.unique === undefined)
    throw new FunctionError(`lookup ref ${JSON.stringify(ref)}: attribute ${ref[0]} is not unique`);
  let found: number | undefined;
  source.match(undefined, attribute, ref[1] as Value, (e) => {
    found ??= e;
  });
  return found;
}

/** An entity id as given, or the entity a lookup ref names; undefined for anything else. */
export function entityOf(source: QuerySource, x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  return isLookupRef(x) ? lookupEntity(source, x) : undefined;
}
