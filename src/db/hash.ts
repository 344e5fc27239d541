/** Hash functions for the typed-array hash tables. */

/**
 * FNV-1a over `bytes[start, end)`, finished with a murmur-style mix. Checkpoints save tables
 * built with it: changing it makes their tables wrong (bump the checkpoint's magic).
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = hashStart;
  for (let i = start; i < end; i++) h = hashStep(h, bytes[i]!);
  return mix32(h);
}

/** `hashBytes` one byte at a time: `hashFinish(hashStep(...hashStep(hashStart, b0)...))`. */
export const hashStart = 0x811c9dc5;

export function hashStep(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193);
}

export function hashFinish(h: number): number {
  return mix32(h);
}

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

/** A hash of a float64's bits (0 and -0 are one key, as in Map). */
export function hashNumber(n: number): number {
  scratch[0] = n === 0 ? 0 : n;
  return mix32(scratchWords[0]! ^ Math.imul(scratchWords[1]!, 0x9e3779b1));
}

function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Whether a table of `size` slots holding `used` entries is past its 3/4 load factor. */
export function tableFull(used: number, size: number): boolean {
  return used * 4 > size * 3;
}

/** The smallest power-of-two table size keeping the load factor at or under 1/2. */
export function tableSizeFor(entries: number): number {
  let size = 16;
  while (size < entries * 2) size *= 2;
  return size;
}
