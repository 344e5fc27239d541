/**
 * Postings: for each key (a raw value), the datom positions that carry it, in append order and
 * therefore in tx order. Most keys of a unique attribute have exactly one position, so a key's
 * entry is one position, stored inline; a key with several positions moves to an overflow list.
 *
 * Two tables hold the entries. Interned string ids (the raw values of string attributes) are
 * dense small integers, so their entries are an array indexed by the id: 4 bytes per key, where a
 * hash would need 12 per slot at half load (for 10M tick ids, 40 MB instead of 300). Other keys
 * (numbers, entity ids) are float64 and go in a typed-array hash.
 */
import { assert } from './assert.js';
import { type Column, u32 } from './columns.js';
import { hashNumber, tableFull, tableSizeFor } from './hash.js';

const EMPTY = 0xffffffff;
const OVERFLOW_BIT = 0x80000000;

/** Postings as typed arrays: `keys` null for a dense table (entries indexed by key, stored + 1). */
export interface PostingsImage {
  keys: Float64Array | null;
  entries: Uint32Array;
  lists: Uint32Array[];
}

export abstract class Postings {
  protected lists: Column<Uint32Array>[] = [];

  /** Postings for an attribute whose raw values are interned string ids (`dense`), or any. */
  static create(dense: boolean, expectedKeys = 0): Postings {
    return dense ? new DensePostings(expectedKeys) : new HashPostings(expectedKeys);
  }

  static restore(image: PostingsImage): Postings {
    const postings: Postings =
      image.keys === null
        ? new DensePostings(0, image.entries)
        : new HashPostings(0, image.keys, image.entries);
    postings.lists = image.lists.map((values) => {
      const list = u32();
      list.load(values);
      return list;
    });
    return postings;
  }

  /** The entry of `key`: a position, OVERFLOW_BIT | an index into `lists`, or EMPTY. */
  protected abstract entryOf(key: number): number;
  /** Sets the entry of `key`, right after `entryOf(key)` (which a hash uses to find its slot). */
  protected abstract setEntry(key: number, entry: number): void;
  /** The table's arrays, copied where they change in place. */
  protected abstract tableImage(): { keys: Float64Array | null; entries: Uint32Array };

  add(key: number, position: number): void {
    key = key === 0 ? 0 : key;
    assert(position < OVERFLOW_BIT, 'datom positions fit in 31 bits');
    const entry = this.entryOf(key);
    if (entry === EMPTY) {
      this.setEntry(key, position);
    } else if (entry & OVERFLOW_BIT) {
      this.lists[entry & ~OVERFLOW_BIT]!.push(position);
    } else {
      const list = u32();
      list.push(entry);
      list.push(position);
      this.setEntry(key, (OVERFLOW_BIT | this.lists.length) >>> 0);
      this.lists.push(list);
    }
  }

  /** Number of positions for `key`. O(1) expected. */
  count(key: number): number {
    const entry = this.entryOf(key);
    if (entry === EMPTY) return 0;
    return entry & OVERFLOW_BIT ? this.lists[entry & ~OVERFLOW_BIT]!.length : 1;
  }

  /**
   * The latest position for `key` below `bound` for which `accept` holds, or -1. Most keys of a
   * unique attribute have one position, which is checked without a closure per call site.
   */
  latestWhere(key: number, bound: number, accept: (position: number) => boolean): number {
    const entry = this.entryOf(key === 0 ? 0 : key);
    if (entry === EMPTY) return -1;
    if (!(entry & OVERFLOW_BIT)) return entry < bound && accept(entry) ? entry : -1;
    const list = this.lists[entry & ~OVERFLOW_BIT]!;
    for (let i = list.length - 1; i >= 0; i--) {
      const p = list.data[i]!;
      if (p < bound && accept(p)) return p;
    }
    return -1;
  }

  /** The first position for `key`, or -1: for a table of one position per key. */
  first(key: number): number {
    const entry = this.entryOf(key === 0 ? 0 : key);
    if (entry === EMPTY) return -1;
    return entry & OVERFLOW_BIT ? this.lists[entry & ~OVERFLOW_BIT]!.get(0) : entry;
  }

  /** Calls `visit` with each position for `key`, latest first, until it returns false. */
  eachLatestFirst(key: number, visit: (position: number) => boolean | undefined): void {
    const entry = this.entryOf(key === 0 ? 0 : key);
    if (entry === EMPTY) return;
    if (!(entry & OVERFLOW_BIT)) {
      visit(entry);
      return;
    }
    const list = this.lists[entry & ~OVERFLOW_BIT]!;
    for (let i = list.length - 1; i >= 0; i--) if (visit(list.data[i]!) === false) return;
  }

  /** The positions for `key` in append order, sharing memory with the postings. */
  list(key: number): Uint32Array {
    const entry = this.entryOf(key === 0 ? 0 : key);
    if (entry === EMPTY) return new Uint32Array(0);
    return entry & OVERFLOW_BIT ? this.lists[entry & ~OVERFLOW_BIT]!.view() : Uint32Array.of(entry);
  }

  /** An image unchanged by later adds: the table is copied, the lists (only appended to) shared. */
  snapshot(): PostingsImage {
    return { ...this.tableImage(), lists: this.lists.map((l) => l.view()) };
  }
}

/** Entries indexed by key (a non-negative integer), each stored + 1 so that 0 is empty. */
class DensePostings extends Postings {
  private readonly entries = u32();

  /** `loaded`: a table to take over (from a checkpoint). */
  constructor(expectedKeys: number, loaded?: Uint32Array) {
    super();
    if (loaded) this.entries.adopt(loaded);
    else this.entries.reserve(expectedKeys);
  }

  protected override entryOf(key: number): number {
    // Out of range, negative or fractional keys read undefined: no entry.
    const stored = key < this.entries.length ? this.entries.data[key] : undefined;
    return stored ? stored - 1 : EMPTY;
  }

  protected override setEntry(key: number, entry: number): void {
    assert(Number.isInteger(key) && key >= 0, 'dense postings keys are interned string ids');
    this.entries.extendTo(key + 1);
    this.entries.set(key, entry + 1);
  }

  protected override tableImage() {
    return { keys: null, entries: this.entries.view().slice() };
  }
}

/** Float64 keys in an open-addressing hash, at most 3/4 full. */
class HashPostings extends Postings {
  private keys: Float64Array;
  private entries: Uint32Array;
  private used = 0;
  /** The slot `entryOf` found, for the `setEntry` that follows it. */
  private slot = 0;

  /** `keys` and `entries`: a table to take over (from a checkpoint). */
  constructor(expectedKeys: number, keys?: Float64Array, entries?: Uint32Array) {
    super();
    if (keys && entries) {
      this.keys = keys;
      this.entries = entries;
      for (let i = 0; i < entries.length; i++) if (entries[i] !== EMPTY) this.used++;
    } else {
      this.keys = new Float64Array(tableSizeFor(expectedKeys));
      this.entries = new Uint32Array(this.keys.length).fill(EMPTY);
    }
  }

  protected override entryOf(key: number): number {
    const mask = this.keys.length - 1;
    let slot = hashNumber(key) & mask;
    while (this.entries[slot] !== EMPTY && this.keys[slot] !== key) slot = (slot + 1) & mask;
    this.slot = slot;
    return this.entries[slot]!;
  }

  protected override setEntry(key: number, entry: number): void {
    const isNew = this.entries[this.slot] === EMPTY;
    this.keys[this.slot] = key;
    this.entries[this.slot] = entry;
    if (isNew && tableFull(++this.used, this.keys.length)) this.rehash();
  }

  protected override tableImage() {
    return { keys: this.keys.slice(), entries: this.entries.slice() };
  }

  private rehash(): void {
    const oldKeys = this.keys;
    const oldEntries = this.entries;
    this.keys = new Float64Array(oldKeys.length * 2);
    this.entries = new Uint32Array(oldKeys.length * 2).fill(EMPTY);
    const mask = this.keys.length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldEntries[i] === EMPTY) continue;
      let slot = hashNumber(oldKeys[i]!) & mask;
      while (this.entries[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.keys[slot] = oldKeys[i]!;
      this.entries[slot] = oldEntries[i]!;
    }
  }
}
