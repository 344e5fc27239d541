/**
 * Each datom's raw value. Interned string ids, entity ids (refs), booleans and whole counts are
 * integers below 2^32: they keep four bytes, in `small`; every other number (prices, instants in
 * ms, -0) keeps its eight, in `wide`. Per 32 datoms, a word with a bit each saying which, beside
 * the count of small values before them: a datom's place in either is that count and one popcount,
 * from one cache line. A tick (id and market small; price, volume and instant wide) takes 33 bytes
 * instead of 40.
 */
import { assert } from './assert.js';
import { f64, u32 } from './columns.js';

export interface ValuesImage {
  small: Uint32Array;
  wide: Float64Array;
  /**
   * Two uint32s per 32 datoms: bits (bit p % 32 set when datom p's value is in `small`), then how
   * many values before the 32 are small.
   */
  words: Uint32Array;
  length: number;
}

export class ValueColumn {
  private readonly small = u32();
  private readonly wide = f64();
  private readonly words = u32();
  length = 0;

  push(raw: number): void {
    const p = this.length++;
    if ((p & 31) === 0) {
      this.words.push(0);
      this.words.push(this.small.length);
    }
    if (raw >>> 0 === raw && (raw !== 0 || 1 / raw > 0)) {
      this.words.data[(p >>> 5) << 1] |= 1 << (p & 31);
      this.small.push(raw);
    } else this.wide.push(raw);
  }

  /** The raw value of datom `p`. */
  at(p: number): number {
    const words = this.words.data;
    const at = (p >>> 5) << 1;
    const bits = words[at]!;
    const bit = 1 << (p & 31);
    // Small values before p: those before its 32, and those of its 32 below it.
    const rank = words[at + 1]! + popcount(bits & (bit - 1));
    return (bits & bit) !== 0 ? this.small.data[rank]! : this.wide.data[p - rank]!;
  }

  /** Unchanged by later pushes: the values are only appended to (shared); the words are copied. */
  image(): ValuesImage {
    return {
      small: this.small.view(),
      wide: this.wide.view(),
      words: this.words.view().slice(),
      length: this.length,
    };
  }

  /** A column taking `image`'s arrays over; with `room`, the values may grow into their buffers. */
  static restore(image: ValuesImage, room = false): ValueColumn {
    const { small, wide, words, length } = image;
    assert(words.length === ((length + 31) >>> 5) << 1, 'a value column has a bit per value');
    assert(small.length + wide.length === length, 'each value is small or wide');
    let before = 0;
    for (let at = 0; at < words.length; at += 2) {
      assert(words[at + 1] === before, "a value column's counts count its small values");
      before += popcount(words[at]!);
    }
    assert(before === small.length, "a value column's bits count its small values");
    const column = new ValueColumn();
    column.small.adopt(small, room);
    column.wide.adopt(wide, room);
    column.words.adopt(words);
    column.length = length;
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
