/**
 * The string interner: every distinct string value is stored once and named by a dense id, so a
 * datom's value column holds a number. The lookup table is a typed-array hash (ids + 1, 0 empty)
 * rather than a Map, so a checkpoint saves it as raw bytes and a restart skips rebuilding it.
 */
import { assert } from './assert.js';
import { hashString, tableFull, tableSizeFor } from './hash.js';
import { decodeStringTable, encodedStringBytes, encodeStringTable } from './string-table.js';

/** The interned strings as a checkpoint saves and loads them. */
export interface StringTableImage {
  count: number;
  /** Bytes of the encoded strings, all chunks together. */
  byteLength: number;
  /** The encoded strings (see src/db/string-table.ts), in chunks of at most `chunkBytesMax`. */
  chunks(chunkBytesMax?: number): Iterable<Uint8Array>;
  table: Uint32Array;
}

export class Interner {
  private strings: string[] = [];
  private table: Uint32Array = new Uint32Array(tableSizeFor(0));
  /** The strings' bytes once encoded, kept as they come: measuring them all stalled checkpoints. */
  private encodedBytes = 0;

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
    this.encodedBytes += encodedStringBytes(s);
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

  /**
   * The state a checkpoint keeps: the strings (as length-prefixed UTF-8 made chunk by chunk when
   * asked, never one giant string) and the hash table. Later interning does not change it.
   */
  snapshot(): StringTableImage {
    const { strings, table } = this;
    const count = strings.length;
    return {
      count,
      byteLength: this.encodedBytes,
      chunks: (chunkBytesMax) => encodeStringTable(strings, count, chunkBytesMax),
      // The hash table changes in place; the strings are only appended to (the first `count` stay).
      table: table.slice(),
    };
  }

  static restore(image: StringTableImage): Interner {
    const interner = new Interner();
    interner.strings = decodeStringTable(image.chunks(), image.count);
    interner.table = image.table;
    interner.encodedBytes = image.byteLength;
    assert(!tableFull(image.count, image.table.length), 'a restored string table has room');
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
