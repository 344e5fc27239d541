/**
 * Postings: for each key (a raw value), the datom positions that carry it, in append order and
 * therefore in tx order. Most keys of a unique attribute have exactly one position, so a key's
 * entry is stored inline in a typed-array hash; a key with several positions moves to an overflow
 * list. Keys are float64 (raw values: numbers, interned string ids, entity ids).
 */
import { assert } from './assert.js';
import { type Column, u32 } from './columns.js';
import { hashNumber, tableFull, tableSizeFor } from './hash.js';

const EMPTY = 0xffffffff;
const OVERFLOW_BIT = 0x80000000;

export class Postings {
  private keys: Float64Array;
  /** A position, or OVERFLOW_BIT | index into `lists`, or EMPTY. */
  private entries: Uint32Array;
  private lists: Column<Uint32Array>[] = [];
  private used = 0;

  /** `expectedKeys`: room for that many keys before the first rehash. */
  constructor(expectedKeys = 0) {
    this.keys = new Float64Array(tableSizeFor(expectedKeys));
    this.entries = new Uint32Array(this.keys.length).fill(EMPTY);
  }

  get keyCount(): number {
    return this.used;
  }

  add(key: number, position: number): void {
    key = key === 0 ? 0 : key;
    assert(position < OVERFLOW_BIT, 'datom positions fit in 31 bits');
    const slot = this.slotOf(key);
    const entry = this.entries[slot]!;
    if (entry === EMPTY) {
      this.keys[slot] = key;
      this.entries[slot] = position;
      if (tableFull(++this.used, this.keys.length)) this.rehash();
    } else if (entry & OVERFLOW_BIT) {
      this.lists[entry & ~OVERFLOW_BIT]!.push(position);
    } else {
      const list = u32();
      list.push(entry);
      list.push(position);
      this.entries[slot] = (OVERFLOW_BIT | this.lists.length) >>> 0;
      this.lists.push(list);
    }
  }

  /** Number of positions for `key`. O(1) expected. */
  count(key: number): number {
    const entry = this.entries[this.slotOf(key)]!;
    if (entry === EMPTY) return 0;
    return entry & OVERFLOW_BIT ? this.lists[entry & ~OVERFLOW_BIT]!.length : 1;
  }

  /**
   * The latest position for `key` below `bound` for which `accept` holds, or -1. Most keys of a
   * unique attribute have one position, which is checked without a closure per call site.
   */
  latestWhere(key: number, bound: number, accept: (position: number) => boolean): number {
    const entry = this.entries[this.slotOf(key === 0 ? 0 : key)]!;
    if (entry === EMPTY) return -1;
    if (!(entry & OVERFLOW_BIT)) return entry < bound && accept(entry) ? entry : -1;
    const list = this.lists[entry & ~OVERFLOW_BIT]!;
    for (let i = list.length - 1; i >= 0; i--) {
      const p = list.data[i]!;
      if (p < bound && accept(p)) return p;
    }
    return -1;
  }

  /** Calls `visit` with each position for `key`, latest first, until it returns false. */
  eachLatestFirst(key: number, visit: (position: number) => boolean | undefined): void {
    const entry = this.entries[this.slotOf(key)]!;
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
    const entry = this.entries[this.slotOf(key === 0 ? 0 : key)]!;
    if (entry === EMPTY) return new Uint32Array(0);
    return entry & OVERFLOW_BIT ? this.lists[entry & ~OVERFLOW_BIT]!.view() : Uint32Array.of(entry);
  }

  snapshot(): { keys: Float64Array; entries: Uint32Array; lists: Uint32Array[] } {
    // The hash table changes in place; the lists are only appended to.
    return { keys: this.keys.slice(), entries: this.entries.slice(), lists: this.lists.map((l) => l.view()) };
  }

  static restore(keys: Float64Array, entries: Uint32Array, lists: Uint32Array[]): Postings {
    const postings = new Postings();
    postings.keys = keys;
    postings.entries = entries;
    postings.lists = lists.map((values) => {
      const list = u32();
      list.load(values);
      return list;
    });
    let used = 0;
    for (let i = 0; i < entries.length; i++) if (entries[i] !== EMPTY) used++;
    postings.used = used;
    return postings;
  }

  private slotOf(key: number): number {
    const mask = this.keys.length - 1;
    let slot = hashNumber(key) & mask;
    while (this.entries[slot] !== EMPTY && this.keys[slot] !== key) {
      slot = (slot + 1) & mask;
    }
    return slot;
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
