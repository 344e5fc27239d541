/**
 * The string interner: every distinct string value is stored once and named by a dense id, so a
 * datom's value column holds a number. The lookup table is a typed-array hash (ids + 1, 0 empty)
 * rather than a Map, so a checkpoint saves it as raw bytes and a restart skips rebuilding it.
 */
import { assert } from './assert.js';
import { hashString, tableFull, tableSizeFor } from './hash.js';

export class Interner {
  private strings: string[] = [];
  private table: Uint32Array = new Uint32Array(tableSizeFor(0));

  get size(): number {
    return this.strings.length;
  }

  /** The string named by `id`. O(1). */
  string(id: number): string {
    const s = this.strings[id];
    assert(s !== undefined, 'interned string ids are dense');
    return s;
  }

  /** The id of `s`, or -1 if it was never interned. O(1) expected. */
  lookup(s: string): number {
    const entry = this.table[this.slotOf(s, hashString(s))]!;
    return entry - 1;
  }

  /** The id of `s`, interning it if new. */
  intern(s: string): number {
    const hash = hashString(s);
    let slot = this.slotOf(s, hash);
    if (this.table[slot] !== 0) return this.table[slot]! - 1;
    if (tableFull(this.strings.length + 1, this.table.length)) {
      this.rehash(this.strings.length + 1);
      slot = this.slotOf(s, hash);
    }
    const id = this.strings.length;
    this.strings.push(s);
    this.table[slot] = id + 1;
    return id;
  }

  /** The slot holding `s`, or the empty slot where it would go. */
  private slotOf(s: string, hash: number): number {
    const mask = this.table.length - 1;
    let slot = hash & mask;
    for (
      let entry = this.table[slot]!;
      entry !== 0 && this.strings[entry - 1] !== s;
      entry = this.table[slot]!
    ) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  /** The state a checkpoint keeps: all strings joined, their lengths, and the hash table. */
  snapshot(): { joined: string; lengths: Uint32Array; table: Uint32Array } {
    const lengths = new Uint32Array(this.strings.length);
    for (let i = 0; i < this.strings.length; i++) lengths[i] = this.strings[i]!.length;
    return { joined: this.strings.join(''), lengths, table: this.table };
  }

  static restore(joined: string, lengths: Uint32Array, table: Uint32Array): Interner {
    const interner = new Interner();
    const strings = new Array<string>(lengths.length);
    let offset = 0;
    for (let i = 0; i < lengths.length; i++) {
      strings[i] = joined.slice(offset, offset + lengths[i]!);
      offset += lengths[i]!;
    }
    assert(offset === joined.length, 'checkpoint string lengths cover the joined strings');
    interner.strings = strings;
    interner.table = table;
    return interner;
  }

  private rehash(entries: number): void {
    this.table = new Uint32Array(tableSizeFor(entries));
    const mask = this.table.length - 1;
    for (let id = 0; id < this.strings.length; id++) {
      let slot = hashString(this.strings[id]!) & mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & mask;
      this.table[slot] = id + 1;
    }
  }
}
