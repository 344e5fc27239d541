/**
 * A column of uint32s that mostly rise slowly within short runs, kept in blocks of 64: a uint32
 * per block (its first value) and, per entry, how far the entry lies above it in one or two bytes
 * (the step type). An entry below its block's base, or as far above as the step type's top value
 * and beyond, is marked with that top value and kept in a table. Random access stays O(1).
 */
import { assert } from './assert.js';
import { Column, u32 } from './columns.js';
import { Postings, type PostingsImage } from './postings.js';

export const BLOCK_SHIFT = 6;
const BLOCK_MASK = (1 << BLOCK_SHIFT) - 1;

export interface StepsImage<S extends Uint8Array | Uint16Array> {
  /** Per block of 64 entries: the value of its first. */
  bases: Uint32Array;
  steps: S;
  far: PostingsImage;
}

export abstract class StepColumn<S extends Uint8Array | Uint16Array> {
  protected readonly bases: Column<Uint32Array> = u32();
  /** Per entry: its value minus its block's base, or `far`'s mark. */
  protected readonly steps: Column<S>;
  /** The step that marks an entry kept in `table`. */
  protected readonly farMark: number;
  private table = Postings.create(false);

  protected constructor(stepType: { new (length: number): S; BYTES_PER_ELEMENT: number }) {
    this.steps = new Column<S>(stepType as never);
    this.farMark = 2 ** (8 * stepType.BYTES_PER_ELEMENT) - 1;
  }

  get length(): number {
    return this.steps.length;
  }

  push(value: number): void {
    const i = this.steps.length;
    if ((i & BLOCK_MASK) === 0) this.bases.push(value);
    const step = value - this.bases.data[i >>> BLOCK_SHIFT]!;
    if (step >= 0 && step < this.farMark) this.steps.push(step);
    else {
      this.steps.push(this.farMark);
      this.table.add(i, value);
    }
  }

  /** The value of entry `i`. */
  at(i: number): number {
    const step = this.steps.data[i]!;
    return step !== this.farMark ? this.bases.data[i >>> BLOCK_SHIFT]! + step : this.table.first(i);
  }

  /** Unchanged by later pushes: bases and steps are only appended to (shared), the table is copied. */
  image(): StepsImage<S> {
    return { bases: this.bases.view(), steps: this.steps.view(), far: this.table.snapshot() };
  }

  /** Makes room for `count` more entries. */
  reserve(count: number): void {
    this.steps.reserve(count);
    this.bases.reserve(((this.steps.length + count + BLOCK_MASK) >>> BLOCK_SHIFT) - this.bases.length);
  }

  /** A column taking `image`'s arrays over; with `room`, they may grow into their buffers. */
  static restore<C extends AnyStepColumn>(this: new () => C, image: ReturnType<C['image']>, room = false): C {
    const column = new this();
    assert(
      image.bases.length === (image.steps.length + BLOCK_MASK) >>> BLOCK_SHIFT,
      'a step column has a base per block of entries',
    );
    column.bases.adopt(image.bases, room);
    column.steps.adopt(image.steps, room);
    column.table = Postings.restore(image.far);
    return column;
  }

  /** The column of `values`, in order (as a checkpoint of an earlier layout stored them plain). */
  static of<C extends AnyStepColumn>(this: new () => C, values: ArrayLike<number>): C {
    const column = new this();
    column.reserve(values.length);
    for (let i = 0; i < values.length; i++) column.push(values[i]!);
    return column;
  }
}

type AnyStepColumn = StepColumn<Uint8Array | Uint16Array>;
