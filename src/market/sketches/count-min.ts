/**
 * Count-Min (Cormode and Muthukrishnan 2005): an over-estimate of each key's total weight (tick
 * count, volume) in `depth` rows of `width` counters. With width = ceil(e / ε) and
 * depth = ceil(ln(1 / δ)), an estimate exceeds the true total by at most ε·N (N: the weight of
 * the whole stream) with probability at least 1 - δ, and never falls below it. Weights must be
 * ≥ 0. Sketches of one shape merge by adding counters: exactly the sketch of the union of the
 * streams (for integral weights; float volumes may differ in the last bits by summation order).
 *
 * Conservative update (Estan and Varghese) raises each of a key's counters only as far as
 * min + weight: estimates are never worse and usually much better, but the counters then depend
 * on the order of the stream, so a merge of conservative sketches is an upper bound of the
 * conservative sketch of the union, still within ε·N of the truth (it never exceeds the plain
 * sketch's counters).
 */
import { assert } from '../../db/assert.js';
import { fail } from '../../errors.js';
import { type Hash64, hash64 } from './hash64.js';

export interface CountMinOptions {
  /** Error as a fraction of the stream's total weight. */
  epsilon: number;
  /** Probability that an estimate errs by more than ε·N. */
  delta: number;
  conservative?: boolean;
}

export const countMinDefaults: CountMinOptions = { epsilon: 0.001, delta: 0.01, conservative: false };
const formatVersion = 1;
const headerBytes = 24;
const cellsMax = 1 << 26;

export class CountMin {
  readonly counters: Float64Array;
  /** The total weight added (N). */
  total = 0;
  private readonly rows: Int32Array;
  private readonly scratch: Hash64 = { hi: 0, lo: 0 };

  constructor(
    readonly width: number,
    readonly depth: number,
    readonly conservative = false,
    counters?: Float64Array,
  ) {
    assert(Number.isInteger(width) && width >= 1, 'Count-Min width is a positive integer');
    assert(Number.isInteger(depth) && depth >= 1, 'Count-Min depth is a positive integer');
    assert(width * depth <= cellsMax, `Count-Min has at most ${cellsMax} counters`);
    this.counters = counters ?? new Float64Array(width * depth);
    assert(this.counters.length === width * depth, 'one counter per row and column');
    this.rows = new Int32Array(depth);
  }

  static forError(options: CountMinOptions): CountMin {
    const { epsilon, delta } = options;
    if (!(epsilon > 0 && epsilon < 1 && delta > 0 && delta < 1)) {
      fail('GSW_ERR_SKETCH', `Count-Min needs 0 < epsilon < 1 and 0 < delta < 1 (got ${epsilon}, ${delta})`, {
        epsilon,
        delta,
      });
    }
    return new CountMin(Math.ceil(Math.E / epsilon), Math.ceil(Math.log(1 / delta)), options.conservative);
  }

  /** The ε this shape guarantees (e / width): at most the ε asked for. */
  get epsilon(): number {
    return Math.E / this.width;
  }

  /** The δ this shape guarantees (e^-depth): at most the δ asked for. */
  get delta(): number {
    return Math.exp(-this.depth);
  }

  /** ε·N: an estimate exceeds the truth by more than this with probability at most δ. */
  errorBound(): number {
    return this.epsilon * this.total;
  }

  add(key: string, weight = 1): number {
    const h = hash64(key, this.scratch);
    return this.addHash(h.hi, h.lo, weight);
  }

  /** Adds `weight` to the key with this hash; returns the key's estimate after the add. */
  addHash(hi: number, lo: number, weight = 1): number {
    assert(weight >= 0, 'Count-Min weights are not negative');
    const { counters, rows, width, depth } = this;
    this.total += weight;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < depth; i++) {
      const cell = i * width + cellOf(hi, lo, i, width);
      rows[i] = cell;
      if (counters[cell]! < min) min = counters[cell]!;
    }
    const raised = min + weight;
    if (!this.conservative) for (let i = 0; i < depth; i++) counters[rows[i]!]! += weight;
    else for (let i = 0; i < depth; i++) if (counters[rows[i]!]! < raised) counters[rows[i]!] = raised;
    // Either way the smallest of the key's counters is now exactly min + weight.
    return raised;
  }

  estimate(key: string): number {
    const h = hash64(key, this.scratch);
    return this.estimateHash(h.hi, h.lo);
  }

  estimateHash(hi: number, lo: number): number {
    const { counters, width, depth } = this;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < depth; i++) {
      const c = counters[i * width + cellOf(hi, lo, i, width)]!;
      if (c < min) min = c;
    }
    return min;
  }

  /** Adds `other`'s counters into this sketch. */
  merge(other: CountMin): this {
    if (other.width !== this.width || other.depth !== this.depth) {
      fail(
        'GSW_ERR_SKETCH',
        `cannot merge Count-Min sketches of ${this.width}x${this.depth} and ${other.width}x${other.depth}`,
        { shapes: [`${this.width}x${this.depth}`, `${other.width}x${other.depth}`] },
      );
    }
    const mine = this.counters;
    const theirs = other.counters;
    for (let j = 0; j < mine.length; j++) mine[j]! += theirs[j]!;
    this.total += other.total;
    return this;
  }

  clone(): CountMin {
    const copy = new CountMin(this.width, this.depth, this.conservative, this.counters.slice());
    copy.total = this.total;
    return copy;
  }

  /** Bytes: version, conservative flag, width, depth, total, then the counters (little-endian). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(headerBytes + this.counters.byteLength);
    const view = new DataView(out.buffer);
    view.setUint8(0, formatVersion);
    view.setUint8(1, this.conservative ? 1 : 0);
    view.setUint32(4, this.width, true);
    view.setUint32(8, this.depth, true);
    view.setFloat64(16, this.total, true);
    for (let j = 0; j < this.counters.length; j++)
      view.setFloat64(headerBytes + j * 8, this.counters[j]!, true);
    return out;
  }

  static fromBytes(bytes: Uint8Array): CountMin {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const width = bytes.length >= headerBytes ? view.getUint32(4, true) : 0;
    const depth = bytes.length >= headerBytes ? view.getUint32(8, true) : 0;
    const wellFormed =
      bytes[0] === formatVersion &&
      width >= 1 &&
      depth >= 1 &&
      width * depth <= cellsMax &&
      bytes.length === headerBytes + width * depth * 8;
    if (!wellFormed)
      fail('GSW_ERR_SKETCH', 'bytes are not a serialised Count-Min sketch', { bytes: bytes.length });
    const counters = new Float64Array(width * depth);
    for (let j = 0; j < counters.length; j++) counters[j] = view.getFloat64(headerBytes + j * 8, true);
    const sketch = new CountMin(width, depth, view.getUint8(1) === 1, counters);
    sketch.total = view.getFloat64(16, true);
    return sketch;
  }
}

/** Row i's column: double hashing (Kirsch and Mitzenmacher), the step odd so rows differ. */
function cellOf(hi: number, lo: number, row: number, width: number): number {
  return ((lo + Math.imul(row, hi | 1)) >>> 0) % width;
}
