/**
 * An open-addressing hash table over the rows of one flat relation, keyed by some of its columns.
 * Rows are hashed from their values directly, so finding, deduplicating and joining rows
 * allocates nothing per row (no composite string keys).
 */
import { valueEquals } from './values.js';

/** The bits of a float, for hashing non-integers without formatting them as strings. */
const floatBits = new Float64Array(1);
const floatWords = new Uint32Array(floatBits.buffer);

function hashValue(v: unknown): number {
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v)) return Math.imul((v | 0) ^ ((v / 4294967296) | 0), 0x9e3779b1);
      floatBits[0] = v;
      return Math.imul(floatWords[0] ^ Math.imul(floatWords[1], 0x85ebca6b), 0x9e3779b1);
    case 'string':
      return hashString(v);
    case 'boolean':
      return v ? 0x2545f491 : 0x6c8e9cf5;
    default:
      if (Array.isArray(v)) return v.reduce((h: number, x) => Math.imul(h ^ hashValue(x), 0x01000193), 0x345);
      return v === null || v === undefined ? 0 : hashString(JSON.stringify(v));
  }
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function hashRow(data: readonly unknown[], offset: number, columns: readonly number[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < columns.length; i++)
    h = Math.imul(h ^ hashValue(data[offset + columns[i]]), 0x01000193);
  return h ^ (h >>> 16);
}

export class KeyTable {
  private slots: Int32Array;
  private hashes: Int32Array;
  private count = 0;

  /** Indexes rows of `data` (row-major, `width` wide, growing by push) by `columns`. */
  constructor(
    private readonly data: readonly unknown[],
    private readonly width: number,
    private readonly columns: readonly number[],
    expectedRows: number,
  ) {
    let capacity = 16;
    while (capacity < expectedRows * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.hashes = new Int32Array(capacity);
  }

  /**
   * The first indexed row whose key equals the key of the probe row, or -1. When absent and
   * `insertRow` is a row index (≥ 0), that row is indexed under the key.
   */
  lookup(probe: readonly unknown[], offset: number, probeColumns: readonly number[], insertRow = -1): number {
    const h = hashRow(probe, offset, probeColumns);
    const mask = this.slots.length - 1;
    let i = h & mask;
    for (let slot = this.slots[i]; slot !== 0; slot = this.slots[(i = (i + 1) & mask)]) {
      if (this.hashes[i] === h && this.keyEquals(slot - 1, probe, offset, probeColumns)) return slot - 1;
    }
    if (insertRow >= 0) {
      this.slots[i] = insertRow + 1;
      this.hashes[i] = h;
      if (++this.count * 2 > this.slots.length) this.grow();
    }
    return -1;
  }

  private keyEquals(
    row: number,
    probe: readonly unknown[],
    offset: number,
    probeColumns: readonly number[],
  ): boolean {
    const base = row * this.width;
    for (let c = 0; c < this.columns.length; c++) {
      const a = this.data[base + this.columns[c]];
      const b = probe[offset + probeColumns[c]];
      if (a !== b && !valueEquals(a, b)) return false;
    }
    return true;
  }

  private grow(): void {
    const [slots, hashes] = [this.slots, this.hashes];
    this.slots = new Int32Array(slots.length * 2);
    this.hashes = new Int32Array(slots.length * 2);
    const mask = this.slots.length - 1;
    for (let j = 0; j < slots.length; j++) {
      if (slots[j] === 0) continue;
      let i = hashes[j] & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.slots[i] = slots[j];
      this.hashes[i] = hashes[j];
    }
  }
}
