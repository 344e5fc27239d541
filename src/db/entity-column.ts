/**
 * The entity (local id) of each datom. A tx writes its entities' datoms together and new entities
 * in ascending order (a batch of ticks: five datoms each, ids one apart), so each datom keeps one
 * byte: how far its entity lies above the first entity of its block of 64 datoms. An entity below
 * that, or 255 and more above it (an older entity changed later), goes in a table. About 1.06
 * bytes per datom instead of 4.
 */
import { assert } from './assert.js';
import { type Column, u8, u32 } from './columns.js';
import { Postings, type PostingsImage } from './postings.js';

const BLOCK_SHIFT = 6;
const BLOCK_MASK = (1 << BLOCK_SHIFT) - 1;
/** A step kept in the table of far entities. */
const FAR = 0xff;

export interface EntitiesImage {
  /** Per block of 64 datoms: the entity of its first. */
  bases: Uint32Array;
  steps: Uint8Array;
  far: PostingsImage;
}

export class EntityColumn {
  private readonly bases: Column<Uint32Array> = u32();
  /** Per datom: its entity minus its block's base, or FAR. */
  private readonly steps: Column<Uint8Array> = u8();
  private far = Postings.create(false);

  get length(): number {
    return this.steps.length;
  }

  push(entity: number): void {
    const p = this.steps.length;
    if ((p & BLOCK_MASK) === 0) this.bases.push(entity);
    const step = entity - this.bases.data[p >>> BLOCK_SHIFT]!;
    if (step >= 0 && step < FAR) this.steps.push(step);
    else {
      this.steps.push(FAR);
      this.far.add(p, entity);
    }
  }

  /** The entity of datom `p`. */
  at(p: number): number {
    const step = this.steps.data[p]!;
    return step !== FAR ? this.bases.data[p >>> BLOCK_SHIFT]! + step : this.far.first(p);
  }

  /** Unchanged by later pushes: bases and steps are only appended to (shared), the table is copied. */
  image(): EntitiesImage {
    return { bases: this.bases.view(), steps: this.steps.view(), far: this.far.snapshot() };
  }

  /** A column taking `image`'s arrays over; with `room`, they may grow into their buffers. */
  static restore(image: EntitiesImage, room = false): EntityColumn {
    assert(
      image.bases.length === (image.steps.length + BLOCK_MASK) >>> BLOCK_SHIFT,
      'an entity column has a base per block of datoms',
    );
    const column = new EntityColumn();
    column.bases.adopt(image.bases, room);
    column.steps.adopt(image.steps, room);
    column.far = Postings.restore(image.far);
    return column;
  }

  /** Makes room for `datoms` more entities. */
  reserve(datoms: number): void {
    this.steps.reserve(datoms);
    this.bases.reserve(((this.steps.length + datoms + BLOCK_MASK) >>> BLOCK_SHIFT) - this.bases.length);
  }

  /** The column of `entities`, one per datom (a checkpoint that stored them as they are). */
  static of(entities: ArrayLike<number>): EntityColumn {
    const column = new EntityColumn();
    column.reserve(entities.length);
    for (let p = 0; p < entities.length; p++) column.push(entities[p]!);
    return column;
  }
}
