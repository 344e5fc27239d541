/**
 * An ascending list of uint32s that rise a little at a time: an attribute's AEVT list (the
 * positions of its datoms; a tick's datoms are adjacent, so along one attribute's list positions
 * rise by about the datoms per entity) and the interner's string offsets (rising by each string's
 * length). Each entry keeps two bytes, its distance above the first entry of its block of 64; one
 * 65,535 and more above it (a rarely written attribute) goes in a table. About 2.06 bytes per
 * entry instead of 4.
 */
import { BLOCK_SHIFT, StepColumn, type StepsImage } from './step-column.js';

export type PositionsImage = StepsImage<Uint16Array>;

export class PositionList extends StepColumn<Uint16Array> {
  constructor() {
    super(Uint16Array);
  }

  /** Whether no entry is below the one before it: a pass over the steps, as `at` reads them. */
  ascending(): boolean {
    const bases = this.bases.data;
    const steps = this.steps.data;
    let before = 0;
    for (let i = 0; i < this.length; i++) {
      const step = steps[i]!;
      const value = step !== this.farMark ? bases[i >>> BLOCK_SHIFT]! + step : this.at(i);
      if (value < before) return false;
      before = value;
    }
    return true;
  }

  /** How many positions are below `bound`. O(log n): the blocks' bases first, then one block. */
  countBelow(bound: number): number {
    const bases = this.bases.data;
    let lo = 0;
    let hi = this.bases.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bases[mid]! < bound) lo = mid + 1;
      else hi = mid;
    }
    // Every block from `lo` on starts at or above the bound; block lo - 1 holds the crossing.
    if (lo === 0) return 0;
    let first = (lo - 1) << BLOCK_SHIFT;
    let last = Math.min(this.length, lo << BLOCK_SHIFT);
    const above = bound - bases[lo - 1]!;
    // Below the far mark, steps compare as positions do (a far position lies above the mark).
    const steps = this.steps.data;
    const compared =
      above < this.farMark ? (i: number) => steps[i]! < above : (i: number) => this.at(i) < bound;
    while (first < last) {
      const mid = (first + last) >>> 1;
      if (compared(mid)) first = mid + 1;
      else last = mid;
    }
    return first;
  }
}
