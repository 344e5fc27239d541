/**
 * Packing of a checkpoint's sections: the columns that are regular (entity ids, attribute slots,
 * position lists, the one-byte chain steps, the string bytes) shrink tenfold and more under zstd,
 * and a list of mostly increasing uint32s (positions, entity ids) all but vanishes once it is
 * stored as differences. The string hash table and its tags are packed as they are (not as
 * differences): ids in random order, but their top bytes and the empty slots are zeros, so they
 * shrink to about 60%; so are the words saying which values are small. The values themselves (float64s,
 * and the uint32s of small ones) are left as they are: they shrink little and would cost the
 * reopen more to unpack than to read.
 *
 * A section is packed in pieces of `pieceBytes` raw bytes, each its own zstd frame, so the writer
 * yields to the event loop between pieces (a background checkpoint must not stall heartbeats).
 */
import type { FileHandle } from 'node:fs/promises';
import { setImmediate as turn } from 'node:timers/promises';
import zstd from 'zstd-napi/binding.js';
import { assert } from '../db/assert.js';

export type Packing = 'zstd' | 'delta';
type Typed = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/** Raw bytes per frame: a multiple of every element size. */
const pieceBytes = 4 << 20;
/** Fast levels: a checkpoint is written while serving. */
const zstdLevel = 1;

let cctx: zstd.CCtx | undefined;
let dctx: zstd.DCtx | undefined;

/** How a section is packed, by its name and element type; undefined: stored as it is. */
export function packingFor(name: string, array: Typed): Packing | undefined {
  if (array instanceof Float64Array || name === 'values.small') return undefined;
  if (name === 'str.table' || name === 'str.tags' || name === 'values.words') return 'zstd';
  return array instanceof Uint32Array ? 'delta' : 'zstd';
}

/** The section's frames, yielding to the event loop after each. */
export async function packSection(array: Typed, packing: Packing): Promise<Uint8Array[]> {
  cctx ??= new zstd.CCtx();
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength; at += pieceBytes) {
    let piece = bytes.subarray(at, at + pieceBytes);
    if (packing === 'delta') piece = differences(array as Uint32Array, at / 4, piece.byteLength / 4);
    const out = Buffer.allocUnsafe(zstd.compressBound(piece.byteLength));
    frames.push(out.subarray(0, cctx.compress(out, piece, zstdLevel)));
    await turn();
  }
  return frames;
}

/**
 * A zeroed array for a section to unpack into, its memory touched off the event loop: the first
 * touch of fresh memory costs about as much as the unpacking itself (a page fault per 4 KiB), so
 * `/dev/zero` is read into it by the thread pool, on the other core, while the event loop unpacks
 * the sections before it. Without `/dev/zero` (`zero` undefined) it is touched when unpacked.
 */
export async function touchedArray<T extends Typed>(
  ctor: { new (length: number): T },
  length: number,
  zero: FileHandle | undefined,
): Promise<T> {
  const array = new ctor(length);
  const bytes = new Uint8Array(array.buffer);
  for (let at = 0; zero !== undefined && at < bytes.byteLength; ) {
    const { bytesRead } = await zero.read(bytes, at, Math.min(pieceBytes, bytes.byteLength - at), 0);
    if (bytesRead === 0) break; // not a /dev/zero after all: the unpacking touches the rest
    at += bytesRead;
  }
  return array;
}

/** Unpacks `frames` into `array` (zeroed, its length the section's); throws unless they fill it. */
export function unpackSection<T extends Typed>(array: T, frames: readonly Uint8Array[], packing: Packing): T {
  dctx ??= new zstd.DCtx();
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  assert(
    frames.length === Math.ceil(bytes.byteLength / pieceBytes),
    'a packed section has a frame per piece',
  );
  frames.forEach((frame, i) => {
    const piece = bytes.subarray(i * pieceBytes, (i + 1) * pieceBytes);
    assert(dctx!.decompress(piece, frame) === piece.byteLength, 'a frame unpacks to its whole piece');
  });
  if (packing === 'delta') {
    const values = array as unknown as Uint32Array;
    for (let i = 1; i < values.length; i++) values[i] = (values[i - 1]! + values[i]!) >>> 0;
  }
  return array;
}

/** `values[from, from + count)` as differences from the value before each (wrapping), as bytes. */
function differences(values: Uint32Array, from: number, count: number): Uint8Array {
  const out = new Uint32Array(count);
  let previous = from === 0 ? 0 : values[from - 1]!;
  for (let i = 0; i < count; i++) {
    const value = values[from + i]!;
    out[i] = (value - previous) >>> 0;
    previous = value;
  }
  return new Uint8Array(out.buffer);
}
