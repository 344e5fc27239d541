/**
 * The string interner: every distinct string value is stored once and named by a dense id, so a
 * datom's value column holds a number.
 *
 * The strings live as UTF-8 in one growing byte table, back to back, with an offset per id (a
 * string ends where the next begins; two bytes each, as a position list), never as one JavaScript string per value: 10M tick
 * ids would be 10M heap objects, about twice the bytes, and work for every garbage collection.
 * A string is decoded when it is read. The bytes and offsets are a checkpoint's string sections
 * as they are: a checkpoint writes them without encoding, and a restart adopts them without
 * decoding (tables written with a length prefix before each string, or with uint32 offsets, are
 * converted at load). The
 * lookup table is a typed-array hash over the bytes (ids + 1, 0 empty), with linear probing,
 * and beside it a tag per slot: the top byte of the hash of the string there, so a probe past
 * another string compares one byte of an adjacent array instead of fetching that string's
 * offset and bytes from two distant places (a new tick id, which misses, probes several slots).
 * Both are saved by checkpoints too, so a restart skips rebuilding them.
 *
 * The table grows by doubling, and the strings go into the larger one a few at a time, with each
 * string interned after it, not all at once: at 6M strings placing them all took 0.5–0.7 s, long
 * enough to stall the event loop past a cluster's 200 ms heartbeat silence. Until every string is
 * in it, the old table (a little fuller) serves and takes the new strings too. The new one gets
 * its strings in id order, as the single rehash gave them, so the table a checkpoint saves does
 * not depend on when it was taken.
 *
 * Strings must be well-formed Unicode (src/db/values.ts refuses others): a lone surrogate has no
 * UTF-8 form and would be stored as U+FFFD, as another string.
 */
import { assert } from './assert.js';
import { hashBytes, hashFinish, hashStart, hashStep, tableFull, tableSizeFor } from './hash.js';
import { PositionList, type PositionsImage } from './position-list.js';

/** The interned strings as a checkpoint saves and loads them. */
export interface StringTableImage {
  count: number;
  /** Bytes of the table: every string's UTF-8, back to back. */
  byteLength: number;
  /** The table's bytes, in pieces of at most `chunkBytesMax` (split anywhere). */
  chunks(chunkBytesMax?: number): Iterable<Uint8Array>;
  /** By id: where the string starts in the table. */
  offsets: PositionsImage;
  table: Uint32Array;
  /** The slots' tags; absent in checkpoints written before tags existed (then rebuilt). */
  tags?: Uint8Array;
}

/** The length prefix of each string in tables written before the offsets were saved. */
const prefixBytes = 4;
/**
 * Strings placed in a grown table per string interned: it is complete once a fifteenth as many
 * strings as it started with have been interned, so the old table, three quarters full when it
 * grew, serves up to four fifths full.
 */
const placedPerIntern = 16;
const chunkBytesDefault = 1024 * 1024;

export class Interner {
  private bytes: Buffer;
  private used = 0;
  /** By id: where the string starts in `bytes` (one Buffer: under 4 GiB), two bytes per string. */
  private offsets = new PositionList();
  private table: Uint32Array;
  private tags: Uint8Array;
  /** While the table grows: the one before it, which serves until ids [0, placed) are all. */
  private old: { table: Uint32Array; tags: Uint8Array } | undefined;
  private placed = 0;
  /** The string being interned or looked up, encoded, and its hash. */
  private scratch: Buffer = Buffer.allocUnsafeSlow(256);
  private scratchHash = 0;

  /** `expected`: room for that many strings of that many bytes in all before the first growth. */
  constructor(expected: { strings: number; bytes: number } = { strings: 0, bytes: 0 }) {
    this.bytes = Buffer.allocUnsafeSlow(Math.max(1024, expected.bytes));
    this.table = new Uint32Array(tableSizeFor(expected.strings));
    this.tags = new Uint8Array(this.table.length);
    this.offsets.reserve(expected.strings);
  }

  get size(): number {
    return this.offsets.length;
  }

  /** Bytes of the table: every string's length prefix and UTF-8. */
  get byteLength(): number {
    return this.used;
  }

  /** The string named by `id`. O(its length). */
  string(id: number): string {
    assert(id >= 0 && id < this.offsets.length, 'interned string ids are dense');
    return this.bytes.toString('utf8', this.offsets.at(id), this.endOf(id));
  }

  /** The id of `s`, or -1 if it was never interned. O(1) expected. */
  lookup(s: string): number {
    const length = this.encode(s);
    return length < 0 ? -1 : this.find(length, this.scratchHash);
  }

  /** The id of `s`, interning it if new. */
  intern(s: string): number {
    const length = this.encode(s);
    assert(length >= 0, 'an interned string has a UTF-8 form');
    const hash = this.scratchHash;
    const found = this.find(length, hash);
    if (found >= 0) return found;
    const id = this.offsets.length;
    if (this.old !== undefined || tableFull(id + 1, this.table.length)) this.makeRoom(id + 1);
    this.reserve(length);
    // A loop: Buffer.copy costs more than the bytes of a short string.
    const { bytes, scratch } = this;
    const to = this.used;
    for (let i = 0; i < length; i++) bytes[to + i] = scratch[i]!;
    this.offsets.push(to);
    this.used = to + length;
    this.add(id, hash);
    return id;
  }

  /** The id here of string `id` of `other`, interning it if new. */
  internFrom(other: Interner, id: number): number {
    return this.intern(other.string(id));
  }

  /**
   * Adds string `id` of `other`, which must not be here yet (a compaction copies distinct strings
   * of one interner), and returns its id here. Copies bytes, decodes nothing, compares nothing.
   */
  addFrom(other: Interner, id: number): number {
    const start = other.offsets.at(id);
    const length = other.endOf(id) - start;
    const added = this.offsets.length;
    if (this.old !== undefined || tableFull(added + 1, this.table.length)) this.makeRoom(added + 1);
    this.add(added, hashBytes(other.bytes, start, start + length));
    this.reserve(length);
    const to = this.used;
    const bytes = this.bytes;
    const source = other.bytes;
    for (let i = 0; i < length; i++) bytes[to + i] = source[start + i]!;
    this.offsets.push(this.used);
    this.used = to + length;
    return added;
  }

  /**
   * The state a checkpoint keeps. Later interning does not change it: the bytes are only
   * appended to (a growth copies them elsewhere and leaves these), and the hash table is copied.
   */
  snapshot(): StringTableImage {
    // The image's table must be the grown one, whole: its placing is finished first.
    this.place(this.offsets.length);
    const bytes = this.bytes.subarray(0, this.used);
    return {
      count: this.offsets.length,
      byteLength: bytes.byteLength,
      *chunks(chunkBytesMax = chunkBytesDefault) {
        for (let at = 0; at < bytes.byteLength; at += chunkBytesMax)
          yield bytes.subarray(at, at + chunkBytesMax);
      },
      offsets: this.offsets.image(),
      table: this.table.slice(),
      tags: this.tags.slice(),
    };
  }

  /** An interner holding an image's strings, taking its bytes over (copied only if in pieces). */
  static restore(image: StringTableImage): Interner {
    const interner = new Interner();
    const chunks = [...image.chunks()];
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    interner.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    interner.used = bytes.byteLength;
    const { count } = image;
    const offsets = PositionList.restore(image.offsets);
    // Every string lies within the table, after the one before it.
    assert(
      offsets.length === count &&
        (count === 0 || (offsets.at(0) === 0 && offsets.at(count - 1) <= interner.used)) &&
        offsets.ascending(),
      'a string table holds `count` whole strings',
    );
    interner.offsets = offsets;
    interner.table = image.table;
    assert(!tableFull(image.count, image.table.length), 'a restored string table has room');
    interner.tags = image.tags ?? interner.tagsOfTable();
    assert(interner.tags.length === image.table.length, 'a string table has a tag per slot');
    return interner;
  }

  /**
   * The bytes and offsets of a table written with a uint32 length before each string (checkpoints
   * before the offsets were saved): one pass, each length checked against the bytes left.
   */
  static unprefixed(prefixed: Uint8Array, count: number): { bytes: Uint8Array; offsets: Uint32Array } {
    const b = prefixed;
    const bytes = new Uint8Array(Math.max(0, b.byteLength - prefixBytes * count));
    const offsets = new Uint32Array(count);
    let at = 0;
    let to = 0;
    let n = 0;
    for (; at < b.byteLength && n < count; n++) {
      const length = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
      at += prefixBytes;
      if (at + length > b.byteLength || to + length > bytes.byteLength) break;
      offsets[n] = to;
      bytes.set(b.subarray(at, at + length), to);
      to += length;
      at += length;
    }
    assert(n === count && at === b.byteLength, 'a string table holds `count` whole strings');
    return { bytes, offsets };
  }

  /**
   * Encodes `s` into `scratch` and its hash into `scratchHash`; returns its byte length, or -1
   * if it has no UTF-8 form. ASCII (tick and market ids) is encoded and hashed in one loop,
   * without a call into the runtime per string.
   */
  private encode(s: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.scratch.length < s.length * 3) this.scratch = Buffer.allocUnsafeSlow(s.length * 3);
    const scratch = this.scratch;
    let h = hashStart;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return this.encodeUnicode(s);
      scratch[i] = c;
      h = hashStep(h, c);
    }
    this.scratchHash = hashFinish(h);
    return s.length;
  }

  private encodeUnicode(s: string): number {
    if (!s.isWellFormed()) return -1;
    const length = this.scratch.write(s, 0, 'utf8');
    this.scratchHash = hashBytes(this.scratch, 0, length);
    return length;
  }

  /** The id of the string in `scratch[0, length)`, or -1 (from the table that serves). */
  private find(length: number, hash: number): number {
    const { old } = this;
    if (old !== undefined) return old.table[this.slotOf(old.table, old.tags, length, hash)]! - 1;
    return this.table[this.slotOf(this.table, this.tags, length, hash)]! - 1;
  }

  /**
   * The slot of `table` holding the string in `scratch[0, length)`, or the empty slot where it
   * would go.
   */
  private slotOf(table: Uint32Array, tags: Uint8Array, length: number, hash: number): number {
    const mask = table.length - 1;
    const tag = tagOf(hash);
    let slot = hash & mask;
    for (
      let entry = table[slot]!;
      entry !== 0 && (tags[slot] !== tag || !this.holds(entry - 1, length));
      entry = table[slot]!
    ) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  /** Whether string `id` is the one in `scratch[0, length)`. */
  private holds(id: number, length: number): boolean {
    const start = this.offsets.at(id);
    if (this.endOf(id) - start !== length) return false;
    const { bytes, scratch } = this;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== scratch[i]) return false;
    return true;
  }

  private reserve(more: number): void {
    if (this.used + more <= this.bytes.length) return;
    // 1.5x, as the columns grow (src/db/columns.ts).
    let capacity = Math.max(1024, Math.ceil(this.bytes.length * 1.5));
    while (capacity < this.used + more) capacity = Math.ceil(capacity * 1.5);
    const next = Buffer.allocUnsafeSlow(capacity);
    this.bytes.copy(next, 0, 0, this.used);
    this.bytes = next;
  }

  /**
   * Before `entries` strings are held: places a few more in a table that grew, and grows the table
   * if it would be too full (finishing the placing under way first).
   */
  private makeRoom(entries: number): void {
    this.place(this.placed + placedPerIntern);
    if (!tableFull(entries, this.table.length)) return;
    this.place(this.offsets.length);
    this.old = { table: this.table, tags: this.tags };
    this.table = new Uint32Array(tableSizeFor(entries));
    this.tags = new Uint8Array(this.table.length);
    this.placed = 0;
  }

  /** Adds the new string `id` to the table that serves (the old one until the new is whole). */
  private add(id: number, hash: number): void {
    const { old } = this;
    if (old !== undefined) insert(old.table, old.tags, id, hash);
    else insert(this.table, this.tags, id, hash);
  }

  /**
   * Places strings of ids [placed, until) in a table that grew, in id order; once it holds every
   * string it serves and the old one goes.
   */
  private place(until: number): void {
    if (this.old === undefined) return;
    const end = Math.min(until, this.offsets.length);
    for (let id = this.placed; id < end; id++) insert(this.table, this.tags, id, this.hashOf(id));
    this.placed = end;
    if (end === this.offsets.length) this.old = undefined;
  }

  /** Tags for a table restored without them. */
  private tagsOfTable(): Uint8Array {
    const tags = new Uint8Array(this.table.length);
    this.table.forEach((entry, slot) => {
      if (entry !== 0) tags[slot] = tagOf(this.hashOf(entry - 1));
    });
    return tags;
  }

  private hashOf(id: number): number {
    return hashBytes(this.bytes, this.offsets.at(id), this.endOf(id));
  }

  /** Where string `id` ends: where the next begins (beside its own offset), or the table's end. */
  private endOf(id: number): number {
    return id + 1 < this.offsets.length ? this.offsets.at(id + 1) : this.used;
  }
}

/** Puts string `id`, not in `table`, in its first empty slot from `hash`. */
function insert(table: Uint32Array, tags: Uint8Array, id: number, hash: number): void {
  const mask = table.length - 1;
  let slot = hash & mask;
  while (table[slot] !== 0) slot = (slot + 1) & mask;
  table[slot] = id + 1;
  tags[slot] = tagOf(hash);
}

/** A slot's tag: the hash's top byte, which the slot index (its low bits) does not use below 2^24 slots. */
function tagOf(hash: number): number {
  return hash >>> 24;
}
