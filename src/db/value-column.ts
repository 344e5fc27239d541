/**
 * Each datom's raw value. Interned string ids, entity ids (refs), booleans and whole counts are
 * integers below 2^32: they keep four bytes, in `small`; every other number (prices, instants in
 * ms, -0) keeps its eight, in `wide`. A bit per datom says which, and a count per block of 64
 * datoms of the small values before it finds a datom's place in either with two popcounts. A tick
 * (id and market small; price, volume and instant wide) takes 33 bytes instead of 40.
 */
import { assert } from './assert.js';
import { f64, u32 } from './columns.js';

const BLOCK_SHIFT = 6;
const BLOCK_MASK = (1 << BLOCK_SHIFT) - 1;

export interface ValuesImage {
  small: Uint32Array;
  wide: Float64Array;
  /** Bit p % 32 of word p / 32 is set when datom p's value is in `small`. */
  bits: Uint32Array;
  length: number;
}

export class ValueColumn {
  private readonly small = u32();
  private readonly wide = f64();
  private readonly bits = u32();
  /** Per block of 64 datoms, how many values before it are small. */
  private readonly smallBefore = u32();
  length = 0;

  push(raw: number): void {
    const p = this.length++;
    if ((p & 31) === 0) this.bits.push(0);
    if ((p & BLOCK_MASK) === 0) this.smallBefore.push(this.small.length);
    if (raw >>> 0 === raw && (raw !== 0 || 1 / raw > 0)) {
      this.bits.data[p >>> 5] |= 1 << (p & 31);
      this.small.push(raw);
    } else this.wide.push(raw);
  }

  /** The raw value of datom `p`. */
  at(p: number): number {
    const bits = this.bits.data;
    const word = bits[p >>> 5]!;
    // Small values before p: those before its block, in the block's first word, and in its own.
    let rank = this.smallBefore.data[p >>> BLOCK_SHIFT]! + popcount(word & ((1 << (p & 31)) - 1));
    if ((p & 32) !== 0) rank += popcount(bits[(p >>> 5) - 1]!);
    return (word & (1 << (p & 31))) !== 0 ? this.small.data[rank]! : this.wide.data[p - rank]!;
  }

  /** Unchanged by later pushes: the values are only appended to (shared); the bits' last word is copied. */
  image(): ValuesImage {
    return {
      small: this.small.view(),
      wide: this.wide.view(),
      bits: this.bits.view().slice(),
      length: this.length,
    };
  }

  /** A column taking `image`'s arrays over; with `room`, the values may grow into their buffers. */
  static restore(image: ValuesImage, room = false): ValueColumn {
    const { small, wide, bits, length } = image;
    assert(bits.length === (length + 31) >>> 5, 'a value column has a bit per value');
    assert(small.length + wide.length === length, 'each value is small or wide');
    const column = new ValueColumn();
    column.small.adopt(small, room);
    column.wide.adopt(wide, room);
    column.bits.adopt(bits);
    column.length = length;
    column.smallBefore.reserve((length + BLOCK_MASK) >>> BLOCK_SHIFT);
    let before = 0;
    for (let word = 0; word < bits.length; word++) {
      if ((word & 1) === 0) column.smallBefore.push(before);
      before += popcount(bits[word]!);
    }
    assert(before === small.length, "a value column's bits count its small values");
    return column;
  }

  /** The column of `values` (a checkpoint that stored them all as float64s). */
  static of(values: ArrayLike<number>): ValueColumn {
    const column = new ValueColumn();
    for (let p = 0; p < values.length; p++) column.push(values[p]!);
    return column;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
