/**
 * The keys the sketches count (market ids), each interned once with its 64-bit hash, so the
 * per-tick path hashes nothing and the sketch logs hold a uint32 per tick instead of a string.
 * Hashes are of the key's text, never of a local id, so sketches of different shards and
 * restarts agree.
 */
import { type Column, u32 } from '../../db/columns.js';
import { hash64 } from './hash64.js';

export class KeyTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  readonly hi: Column<Uint32Array> = u32();
  readonly lo: Column<Uint32Array> = u32();

  get size(): number {
    return this.names.length;
  }

  /** The id of `name`, interning it on first sight. */
  intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      const h = hash64(name);
      id = this.hi.push(h.hi);
      this.lo.push(h.lo);
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  name(id: number): string {
    return this.names[id]!;
  }
}
