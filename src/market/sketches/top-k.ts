/**
 * The keys with the greatest estimates seen so far, at most `capacity` of them: a binary min-heap
 * (the weakest candidate at the root, so a stronger newcomer replaces it in O(log k)) plus a table
 * from key to heap slot. Estimates only grow (Count-Min weights are ≥ 0), so an update moves a
 * key toward the leaves. The candidates are what a window answer re-estimates on the merged
 * Count-Min: a key that was never among a bucket's top `capacity` is not reported.
 *
 * Keys are the sketches' key ids (small non-negative integers), and the key-to-slot table is a
 * typed-array hash with linear probing, not a Map: every tick offers its key to two of these, and
 * Map operations were most of that cost.
 */
import { assert } from '../../db/assert.js';

const EMPTY = -1;

export class TopK {
  private readonly keys: number[] = [];
  private readonly estimates: number[] = [];
  /** Open addressing: `tableKeys[i]` (EMPTY or a key) sits in heap slot `tableSlots[i]`. */
  private readonly tableKeys: Int32Array;
  private readonly tableSlots: Int32Array;
  private readonly mask: number;

  constructor(readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity >= 1, 'a top-k keeps at least one key');
    let size = 4;
    while (size < capacity * 2) size *= 2;
    this.tableKeys = new Int32Array(size).fill(EMPTY);
    this.tableSlots = new Int32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.keys.length;
  }

  /** Records `key`'s current estimate; it enters if there is room or it beats the weakest. */
  offer(key: number, estimate: number): void {
    const at = this.find(key);
    if (this.tableKeys[at] === key) {
      const slot = this.tableSlots[at]!;
      assert(estimate >= this.estimates[slot]!, 'top-k estimates only grow');
      this.estimates[slot] = estimate;
      this.siftDown(slot);
      return;
    }
    if (this.keys.length < this.capacity) {
      this.keys.push(key);
      this.estimates.push(estimate);
      this.tableKeys[at] = key;
      this.tableSlots[at] = this.keys.length - 1;
      this.siftUp(this.keys.length - 1);
      return;
    }
    if (estimate <= this.estimates[0]!) return;
    this.remove(this.keys[0]!);
    this.keys[0] = key;
    this.estimates[0] = estimate;
    this.place(key, 0);
    this.siftDown(0);
  }

  /** The candidate keys, in no particular order. */
  candidates(): readonly number[] {
    return this.keys;
  }

  clone(): TopK {
    const copy = new TopK(this.capacity);
    copy.keys.push(...this.keys);
    copy.estimates.push(...this.estimates);
    copy.tableKeys.set(this.tableKeys);
    copy.tableSlots.set(this.tableSlots);
    return copy;
  }

  /** Where `key` is in the table, or the empty entry where it would go. */
  private find(key: number): number {
    assert(Number.isInteger(key) && key >= 0 && key <= 0x7fffffff, 'top-k keys are key ids');
    let at = Math.imul(key, 0x9e3779b1) >>> 0;
    for (
      at &= this.mask;
      this.tableKeys[at] !== EMPTY && this.tableKeys[at] !== key;
      at = (at + 1) & this.mask
    );
    return at;
  }

  private place(key: number, slot: number): void {
    const at = this.find(key);
    this.tableKeys[at] = key;
    this.tableSlots[at] = slot;
  }

  /** Removes `key` from the table, shifting back later entries of its probe run (no tombstones). */
  private remove(key: number): void {
    const { tableKeys, tableSlots, mask } = this;
    let hole = this.find(key);
    assert(tableKeys[hole] === key, 'a heap key is in the table');
    for (let at = (hole + 1) & mask; tableKeys[at] !== EMPTY; at = (at + 1) & mask) {
      const home = (Math.imul(tableKeys[at]!, 0x9e3779b1) >>> 0) & mask;
      // The entry may fill the hole unless its home lies cyclically in (hole, at].
      const stays = hole <= at ? home > hole && home <= at : home > hole || home <= at;
      if (stays) continue;
      tableKeys[hole] = tableKeys[at]!;
      tableSlots[hole] = tableSlots[at]!;
      hole = at;
    }
    tableKeys[hole] = EMPTY;
  }

  private siftUp(slot: number): void {
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (this.estimates[parent]! <= this.estimates[slot]!) return;
      this.swap(slot, parent);
      slot = parent;
    }
  }

  private siftDown(slot: number): void {
    const n = this.keys.length;
    for (;;) {
      const left = 2 * slot + 1;
      const right = left + 1;
      let least = slot;
      if (left < n && this.estimates[left]! < this.estimates[least]!) least = left;
      if (right < n && this.estimates[right]! < this.estimates[least]!) least = right;
      if (least === slot) return;
      this.swap(slot, least);
      slot = least;
    }
  }

  private swap(x: number, y: number): void {
    const { keys, estimates } = this;
    const key = keys[x]!;
    const estimate = estimates[x]!;
    keys[x] = keys[y]!;
    estimates[x] = estimates[y]!;
    keys[y] = key;
    estimates[y] = estimate;
    this.tableSlots[this.find(keys[x]!)] = x;
    this.tableSlots[this.find(key)] = y;
  }
}
