/**
 * Value comparison and hashing for query evaluation. Ordering follows Datascript's
 * `value-compare`: values of one type compare naturally (vectors by length, then element-wise);
 * values of different types compare by type, null < boolean < number < string < vector.
 */

const typeRank = (x: unknown): number => {
  if (x === null || x === undefined) return 0;
  switch (typeof x) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'string':
      return 3;
    default:
      return Array.isArray(x) ? 4 : 5;
  }
};

export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 4) return compareVectors(a as unknown[], b as unknown[]);
  if (ra === 5) return compareValues(JSON.stringify(a), JSON.stringify(b));
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function compareVectors(a: readonly unknown[], b: readonly unknown[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return compareVectors(a, b) === 0;
  return false;
}

/** A Map key equal for equal values: primitives are their own key, vectors a tagged string. */
export function valueKey(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? `\u0000${JSON.stringify(v)}` : v;
}
