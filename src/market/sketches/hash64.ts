/**
 * A 64-bit non-cryptographic hash of a string's UTF-8 bytes, for the sketches: MurmurHash3's
 * x86 block mixing run in two lanes with different constants, finished with a cross-mix and
 * fmix32 so every input bit reaches both halves. Hand-written because node:crypto's digests cost
 * microseconds per call (a fresh Hash object each time), and sketches hash on the ingest path.
 * The same string hashes the same on every node and version: sketches merge across shards and
 * are stored in checkpoints, so this function must never change.
 */

/** A 64-bit hash as two unsigned 32-bit halves. */
export interface Hash64 {
  hi: number;
  lo: number;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** Hashes `value` into `out` (reused to avoid an allocation per call) and returns it. */
export function hash64(value: string, out: Hash64 = { hi: 0, lo: 0 }): Hash64 {
  if (scratch.length < value.length * 3) scratch = new Uint8Array(value.length * 3);
  const n = encoder.encodeInto(value, scratch).written;
  return hashBytes(scratch, n, out);
}

/** Hashes the first `n` bytes of `bytes` into `out`. */
export function hashBytes(bytes: Uint8Array, n: number, out: Hash64 = { hi: 0, lo: 0 }): Hash64 {
  let h1 = 0x9747b28c;
  let h2 = 0x2f8b5e17;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h1 ^= lane1(k);
    h1 = Math.imul(rotl(h1, 13), 5) + 0xe6546b64;
    h2 ^= lane2(k);
    h2 = Math.imul(rotl(h2, 15), 5) + 0x561ccd1b;
  }
  const tail = n & 3;
  if (tail > 0) {
    let k = bytes[blocks]!;
    if (tail > 1) k |= bytes[blocks + 1]! << 8;
    if (tail > 2) k |= bytes[blocks + 2]! << 16;
    h1 ^= lane1(k);
    h2 ^= lane2(k);
  }
  h1 ^= n;
  h2 ^= n;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  out.hi = h1 >>> 0;
  out.lo = h2 >>> 0;
  return out;
}

function lane1(k: number): number {
  return Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
}

function lane2(k: number): number {
  return Math.imul(rotl(Math.imul(k, 0x239b961b), 16), 0xab0e9789);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
