/**
 * The EAVT chains: for each datom, the position of the previous datom of its entity. An entity's
 * datoms are mostly written together (a tick's five are adjacent), so each link is kept as the
 * step back, one byte; the rare longer step (an entity changed in a later tx) goes in a table.
 * One byte per datom instead of four.
 */
import { type Column, u8 } from './columns.js';
import { Postings, type PostingsImage } from './postings.js';

/** "No position": the end of a chain. */
const NONE = 0xffffffff;
/** A step kept in the table of far links. */
const FAR = 0xff;

export interface LinksImage {
  steps: Uint8Array;
  far: PostingsImage;
}

export class EntityLinks {
  /** Per position: 0 for the start of a chain, FAR, or the step back to the previous datom. */
  readonly steps: Column<Uint8Array> = u8();
  private far = Postings.create(false);

  /** Links the next position to `previous` (NONE: it starts its entity's chain). */
  push(previous: number): void {
    const p = this.steps.length;
    const step = previous === NONE ? 0 : p - previous;
    if (step < FAR) this.steps.push(step);
    else {
      this.steps.push(FAR);
      this.far.add(p, previous);
    }
  }

  /** The previous position of `p`'s entity, or NONE. */
  previous(p: number): number {
    const step = this.steps.data[p]!;
    return step === 0 ? NONE : step !== FAR ? p - step : this.far.first(p);
  }

  /** Unchanged by later pushes: the steps are only appended to (shared), the table is copied. */
  image(): LinksImage {
    return { steps: this.steps.view(), far: this.far.snapshot() };
  }

  /** Links taking `image`'s arrays over; with `room`, the steps may grow into their buffer. */
  static restore(image: LinksImage, room = false): EntityLinks {
    const links = new EntityLinks();
    links.steps.adopt(image.steps, room);
    links.far = Postings.restore(image.far);
    return links;
  }
}
