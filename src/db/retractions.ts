/**
 * Where assertions ended: for each assertion a later datom retracted, that datom's position.
 * Ticks are never retracted, so a column of four bytes per datom would be almost all "never":
 * a bitmap marks the retracted (one bit per datom, and only as far as the last one marked) and a
 * table holds their ends.
 */
import { assert } from './assert.js';
import { type Column, u8 } from './columns.js';
import { Postings, type PostingsImage } from './postings.js';

/** "Not retracted". */
const NONE = 0xffffffff;

export interface RetractionsImage {
  marked: Uint8Array;
  ends: PostingsImage;
}

export class Retractions {
  private readonly marked: Column<Uint8Array> = u8();
  private ends = Postings.create(false);

  /** Records that the datom at `retraction` ended the assertion at `p`; an assertion ends once. */
  set(p: number, retraction: number): void {
    assert(this.end(p) === NONE, 'an assertion is retracted once');
    this.marked.extendTo((p >>> 3) + 1);
    this.marked.data[p >>> 3]! |= 1 << (p & 7);
    this.ends.add(p, retraction);
  }

  /** The position of the retraction that ended the assertion at `p`, or NONE. */
  end(p: number): number {
    const byte = p >>> 3;
    if (byte >= this.marked.length || (this.marked.data[byte]! & (1 << (p & 7))) === 0) return NONE;
    return this.ends.first(p);
  }

  /** Unchanged by later retractions (which change both parts in place): a copy. */
  image(): RetractionsImage {
    return { marked: this.marked.view().slice(), ends: this.ends.snapshot() };
  }

  static restore(image: RetractionsImage): Retractions {
    const retractions = new Retractions();
    retractions.marked.adopt(image.marked);
    retractions.ends = Postings.restore(image.ends);
    return retractions;
  }
}
