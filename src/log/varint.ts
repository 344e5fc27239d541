/**
 * Varints of safe integers for the compact tx record (tx-codec.ts): LEB128 for non-negative ones,
 * and a sign-magnitude form for signed ones (bit 0 of the first byte is the sign, the next six
 * are the low magnitude bits). Zigzag would double a magnitude near 2^53 past what a float64
 * holds exactly; sign-magnitude never leaves the safe range.
 */
import { fail } from '../errors.js';

/** The most bytes a varint of a safe integer takes: 53 bits at 7 a byte, plus the sign bit. */
export const varintBytesMax = 8;

const bitOpsMax = 2 ** 31;

/** Writes `x` (a non-negative safe integer) at `at`; returns the offset after it. */
export function writeUint(out: Uint8Array, at: number, x: number): number {
  while (x >= bitOpsMax) {
    out[at++] = (x % 128) | 0x80;
    x = Math.floor(x / 128);
  }
  while (x >= 0x80) {
    out[at++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  out[at] = x;
  return at + 1;
}

/** Writes `x` (a safe integer; -0 is written as 0) at `at`; returns the offset after it. */
export function writeInt(out: Uint8Array, at: number, x: number): number {
  const sign = x < 0 ? 1 : 0;
  const magnitude = sign ? -x : x;
  const low = magnitude % 64;
  const high = (magnitude - low) / 64;
  out[at] = (low << 1) | sign | (high > 0 ? 0x80 : 0);
  return high > 0 ? writeUint(out, at + 1, high) : at + 1;
}

/**
 * Reads varints from `bytes[at, end)`. Reading past `end`, a varint longer than a safe integer
 * needs, or a value past 2^53 is GSW_ERR_LOG_CORRUPT naming `where`.
 */
export class VarintReader {
  constructor(
    private readonly bytes: Uint8Array,
    public at: number,
    readonly end: number,
    private readonly where: string,
  ) {}

  uint(): number {
    const first = this.byte();
    if (first < 0x80) return first;
    let x = first & 0x7f;
    let scale = 128;
    for (let i = 1; i < varintBytesMax; i++) {
      const b = this.byte();
      x += (b & 0x7f) * scale;
      if (b < 0x80) return Number.isSafeInteger(x) ? x : this.damaged('a varint past 2^53');
      scale *= 128;
    }
    return this.damaged(`a varint longer than ${varintBytesMax} bytes`);
  }

  int(): number {
    const first = this.byte();
    const low = (first & 0x7f) >> 1;
    const magnitude = first < 0x80 ? low : low + this.uint() * 64;
    if (!Number.isSafeInteger(magnitude)) this.damaged('a varint past 2^53');
    return first & 1 ? -magnitude : magnitude;
  }

  /** Fails unless every byte up to `end` was read. */
  finish(): void {
    if (this.at !== this.end) this.damaged(`${this.end - this.at} bytes left unread`);
  }

  private byte(): number {
    if (this.at >= this.end) this.damaged('it is cut short');
    return this.bytes[this.at++]!;
  }

  damaged(why: string): never {
    return fail('GSW_ERR_LOG_CORRUPT', `${this.where} is damaged: ${why}`, { where: this.where });
  }
}
