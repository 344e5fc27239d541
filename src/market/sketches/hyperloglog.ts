/**
 * HyperLogLog (Flajolet et al. 2007) over 64-bit hashes: the number of distinct values seen, in
 * 2^p one-byte registers whatever the stream's length. The relative standard error is
 * 1.04 / sqrt(2^p) (p = 14: 16 KiB, 0.81%). Small cardinalities use linear counting over the
 * empty registers, as the paper prescribes; with 64-bit hashes no large-range correction is
 * needed. Two sketches of one precision merge by register-wise max, exactly: the merge of the
 * shards' sketches equals the sketch of the union of their streams.
 *
 * While few registers are set (under 2^p / 8), the sketch also lists them, so merging it costs
 * its size rather than 2^p: a window merges one sketch per minute, each with a few hundred
 * markets.
 */
import { assert } from '../../db/assert.js';
import { fail } from '../../errors.js';
import { type Hash64, hash64 } from './hash64.js';

export const precisionMin = 4;
export const precisionMax = 18;
export const precisionDefault = 14;
const formatVersion = 1;
const headerBytes = 2;
/** 2^-r for every rank a register can hold: the estimate's sum without a pow per register. */
const inversePowers = Float64Array.from({ length: 66 }, (_, r) => 2 ** -r);

export class HyperLogLog {
  readonly precision: number;
  readonly registers: Uint8Array;
  /** The indices of the nonzero registers while there are few; undefined once there are many. */
  private nonZero: number[] | undefined = [];
  private readonly scratch: Hash64 = { hi: 0, lo: 0 };

  constructor(precision = precisionDefault, registers?: Uint8Array) {
    assert(
      Number.isInteger(precision) && precision >= precisionMin && precision <= precisionMax,
      `HyperLogLog precision in [${precisionMin}, ${precisionMax}]`,
    );
    this.precision = precision;
    this.registers = registers ?? new Uint8Array(1 << precision);
    assert(this.registers.length === 1 << precision, 'one register per bucket');
    if (registers !== undefined) registers.forEach((r, j) => r > 0 && this.noteNonZero(j));
  }

  /** The relative standard error of `estimate()`: 1.04 / sqrt(2^p). */
  static relativeStandardError(precision: number): number {
    return 1.04 / Math.sqrt(2 ** precision);
  }

  get relativeStandardError(): number {
    return HyperLogLog.relativeStandardError(this.precision);
  }

  add(value: string): void {
    const h = hash64(value, this.scratch);
    this.addHash(h.hi, h.lo);
  }

  /** Adds a value by its 64-bit hash: the top p bits pick a register, the rest give the rank. */
  addHash(hi: number, lo: number): void {
    const p = this.precision;
    const index = hi >>> (32 - p);
    const rest = (hi << p) >>> 0;
    // rest's low p bits are zeros shifted in, so a set bit in rest is a real one.
    const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - p + Math.clz32(lo) + 1;
    this.raise(index, rank);
  }

  /** The estimated number of distinct values added. */
  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < m; j++) {
      const r = this.registers[j]!;
      sum += inversePowers[r]!;
      if (r === 0) zeros++;
    }
    const raw = (alpha(m) * m * m) / sum;
    return raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw;
  }

  /** Folds `other` into this sketch (register-wise max). */
  merge(other: HyperLogLog): this {
    if (other.precision !== this.precision) {
      fail(
        'GSW_ERR_SKETCH',
        `cannot merge HyperLogLogs of precision ${this.precision} and ${other.precision}`,
        {
          precision: [this.precision, other.precision],
        },
      );
    }
    const theirs = other.registers;
    if (other.nonZero !== undefined) for (const j of other.nonZero) this.raise(j, theirs[j]!);
    else for (let j = 0; j < theirs.length; j++) this.raise(j, theirs[j]!);
    return this;
  }

  clone(): HyperLogLog {
    const copy = new HyperLogLog(this.precision);
    copy.registers.set(this.registers);
    copy.nonZero = this.nonZero?.slice();
    return copy;
  }

  private raise(j: number, rank: number): void {
    const registers = this.registers;
    if (rank <= registers[j]!) return;
    if (registers[j] === 0) this.noteNonZero(j);
    registers[j] = rank;
  }

  private noteNonZero(j: number): void {
    if (this.nonZero === undefined) return;
    if (this.nonZero.length < this.registers.length >> 3) this.nonZero.push(j);
    else this.nonZero = undefined;
  }

  /** Bytes: a format version, the precision, then the registers. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(headerBytes + this.registers.length);
    out[0] = formatVersion;
    out[1] = this.precision;
    out.set(this.registers, headerBytes);
    return out;
  }

  static fromBytes(bytes: Uint8Array): HyperLogLog {
    const precision = bytes[1] ?? 0;
    const wellFormed =
      bytes[0] === formatVersion &&
      precision >= precisionMin &&
      precision <= precisionMax &&
      bytes.length === headerBytes + (1 << precision);
    if (!wellFormed)
      fail('GSW_ERR_SKETCH', 'bytes are not a serialised HyperLogLog', { bytes: bytes.length });
    const registers = bytes.slice(headerBytes);
    const rankMax = 64 - precision + 1;
    if (registers.some((r) => r > rankMax))
      fail('GSW_ERR_SKETCH', `a HyperLogLog register exceeds ${rankMax}`);
    return new HyperLogLog(precision, registers);
  }
}

function alpha(m: number): number {
  if (m === 16) return 0.673;
  if (m === 32) return 0.697;
  if (m === 64) return 0.709;
  return 0.7213 / (1 + 1.079 / m);
}
