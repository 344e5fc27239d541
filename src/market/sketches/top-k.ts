/**
 * The keys with the greatest estimates seen so far, at most `capacity` of them: a binary min-heap
 * (the weakest candidate at the root, so a stronger newcomer replaces it in O(log k)) plus a map
 * from key to heap slot. Estimates only grow (Count-Min weights are ≥ 0), so an update moves a
 * key toward the leaves. The candidates are what a window answer re-estimates on the merged
 * Count-Min: a key that was never among a bucket's top `capacity` is not reported.
 */
import { assert } from '../../db/assert.js';

export class TopK<K> {
  private readonly keys: K[] = [];
  private readonly estimates: number[] = [];
  private readonly slots = new Map<K, number>();

  constructor(readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity >= 1, 'a top-k keeps at least one key');
  }

  get size(): number {
    return this.keys.length;
  }

  /** Records `key`'s current estimate; it enters if there is room or it beats the weakest. */
  offer(key: K, estimate: number): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      assert(estimate >= this.estimates[slot]!, 'top-k estimates only grow');
      this.estimates[slot] = estimate;
      this.siftDown(slot);
      return;
    }
    if (this.keys.length < this.capacity) {
      this.keys.push(key);
      this.estimates.push(estimate);
      this.slots.set(key, this.keys.length - 1);
      this.siftUp(this.keys.length - 1);
      return;
    }
    if (estimate <= this.estimates[0]!) return;
    this.slots.delete(this.keys[0]!);
    this.keys[0] = key;
    this.estimates[0] = estimate;
    this.slots.set(key, 0);
    this.siftDown(0);
  }

  /** The candidate keys, in no particular order. */
  candidates(): readonly K[] {
    return this.keys;
  }

  clone(): TopK<K> {
    const copy = new TopK<K>(this.capacity);
    copy.keys.push(...this.keys);
    copy.estimates.push(...this.estimates);
    for (const [key, slot] of this.slots) copy.slots.set(key, slot);
    return copy;
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
    const { keys, estimates, slots } = this;
    [keys[x], keys[y]] = [keys[y]!, keys[x]!];
    [estimates[x], estimates[y]] = [estimates[y]!, estimates[x]!];
    slots.set(keys[x]!, x);
    slots.set(keys[y]!, y);
  }
}
