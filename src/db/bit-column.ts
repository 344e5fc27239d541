/**
 * A growable column of bits, one per datom: whether it asserts (set) or retracts. A byte per
 * datom held one bit of news; a bitmap costs an eighth of that.
 */
import { assert } from './assert.js';
import { type Column, u8 } from './columns.js';

export interface BitsImage {
  /** Bit p of the column is bit p % 8 of byte p / 8. */
  bits: Uint8Array;
  length: number;
}

export class BitColumn {
  private readonly bytes: Column<Uint8Array> = u8();
  length = 0;

  push(bit: boolean): void {
    const i = this.length >>> 3;
    if (i === this.bytes.length) this.bytes.push(0);
    const mask = 1 << (this.length & 7);
    const data = this.bytes.data;
    data[i] = bit ? data[i]! | mask : data[i]! & ~mask;
    this.length++;
  }

  has(p: number): boolean {
    return ((this.bytes.data[p >>> 3]! >>> (p & 7)) & 1) === 1;
  }

  /** Makes room for `count` more bits. */
  reserve(count: number): void {
    this.bytes.reserve(((this.length + count + 7) >>> 3) - this.bytes.length);
  }

  /** A copy (the last byte changes as bits are pushed): an eighth of a byte per datom. */
  image(): BitsImage {
    return { bits: this.bytes.view().slice(), length: this.length };
  }

  static restore(image: BitsImage): BitColumn {
    assert(image.bits.length === (image.length + 7) >>> 3, 'a bit column has a byte per eight bits');
    const column = new BitColumn();
    column.bytes.adopt(image.bits);
    column.length = image.length;
    return column;
  }

  /** The column of `flags`, a byte each (a checkpoint that stored them so). */
  static of(flags: ArrayLike<number>): BitColumn {
    const column = new BitColumn();
    column.reserve(flags.length);
    for (let p = 0; p < flags.length; p++) column.push(flags[p] === 1);
    return column;
  }
}
