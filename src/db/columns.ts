/**
 * Growable typed-array columns. Datoms live in these rather than in one object each: a column of
 * 50 million entries is one allocation, scans are cache-friendly, and a checkpoint writes the
 * used prefix of the buffer as it is.
 */
type TypedArray = Uint8Array | Uint16Array | Uint32Array | Float64Array;
type TypedArrayCtor<T extends TypedArray> = {
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number): T;
  BYTES_PER_ELEMENT: number;
};

export class Column<T extends TypedArray> {
  data: T;
  length = 0;
  private ctor: TypedArrayCtor<T>;

  constructor(ctor: TypedArrayCtor<T>, capacity = 16) {
    this.ctor = ctor;
    this.data = new ctor(capacity);
  }

  push(value: number): number {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length] = value;
    return this.length++;
  }

  /** Makes room for `count` more entries so a batch can write `data` directly. */
  reserve(count: number): void {
    if (this.length + count > this.data.length) this.grow(this.length + count);
  }

  /** Lengthens the column to `length` (if shorter), the new entries zero. */
  extendTo(length: number): void {
    if (length <= this.length) return;
    this.reserve(length - this.length);
    this.data.fill(0, this.length, length);
    this.length = length;
  }

  get(index: number): number {
    return this.data[index]!;
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  last(): number {
    return this.data[this.length - 1]!;
  }

  /** The used entries, sharing memory with the column. */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }

  /** Replaces the contents with a copy of `values`. */
  load(values: T): void {
    this.data = new this.ctor(Math.max(16, values.length + (values.length >> 3)));
    this.data.set(values);
    this.length = values.length;
  }

  /**
   * Takes `values` over without copying (loading a checkpoint); the next push reallocates. With
   * `room`, `values` is the start of a buffer of its own whose rest the column may grow into.
   */
  adopt(values: T, room = false): void {
    // The values' own kind: a column that widens (`widen`) may be loaded narrow or wide.
    this.ctor = values.constructor as TypedArrayCtor<T>;
    this.data = room ? new this.ctor(values.buffer as ArrayBuffer, values.byteOffset) : values;
    this.length = values.length;
  }

  /** Copies the entries into an array of the wider kind `ctor`, for values the current kind cannot hold. */
  widen(ctor: TypedArrayCtor<T>): void {
    const next = new ctor(this.data.length);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
    this.ctor = ctor;
  }

  private grow(needed: number): void {
    // 1.5x: a little more copying than doubling, a third less idle capacity on average.
    // At least 16: an adopted column (from a checkpoint) may have no capacity at all.
    let capacity = Math.max(16, Math.ceil(this.data.length * 1.5));
    while (capacity < needed) capacity = Math.ceil(capacity * 1.5);
    const next = new this.ctor(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

export const u8 = (): Column<Uint8Array> => new Column<Uint8Array>(Uint8Array);
/** One byte per entry until an entry needs two (`widen`). */
export const u8or16 = (): Column<Uint8Array | Uint16Array> =>
  new Column<Uint8Array | Uint16Array>(Uint8Array);
export const u32 = (): Column<Uint32Array> => new Column<Uint32Array>(Uint32Array);
export const f64 = (): Column<Float64Array> => new Column<Float64Array>(Float64Array);

/** Index of the last entry ≤ `bound` in the ascending prefix `[0, length)`, or -1. O(log n). */
export function lastAtMost(sorted: ArrayLike<number>, length: number, bound: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= bound) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Number of entries < `bound` in the ascending prefix `[0, length)`. O(log n). */
export function countBelow(sorted: ArrayLike<number>, length: number, bound: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
