/**
 * The entity (local id) of each datom. A tx writes its entities' datoms together and new entities
 * in ascending order (a batch of ticks: five datoms each, ids one apart), so each datom keeps one
 * byte: how far its entity lies above the first entity of its block of 64 datoms. An entity below
 * that, or 255 and more above it (an older entity changed later), goes in a table. About 1.06
 * bytes per datom instead of 4.
 */
import { StepColumn, type StepsImage } from './step-column.js';

export type EntitiesImage = StepsImage<Uint8Array>;

export class EntityColumn extends StepColumn<Uint8Array> {
  constructor() {
    super(Uint8Array);
  }
}
