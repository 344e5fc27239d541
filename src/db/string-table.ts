/**
 * The interned strings as bytes: each string as a uint32 (little-endian) byte length followed by
 * its UTF-8, produced in chunks of at most `chunkBytesMax` (a string longer than that gets a
 * chunk of its own). Never one JavaScript string for the whole table: V8 caps a string at about
 * 2^29 characters, which a few million long ids exceed.
 */
import { assert } from './assert.js';

const lengthBytes = 4;
export const stringChunkBytesDefault = 1024 * 1024;

/** The bytes `s` takes in the table. */
export function encodedStringBytes(s: string): number {
  return lengthBytes + Buffer.byteLength(s, 'utf8');
}

/** The first `count` strings, encoded, chunk by chunk; every chunk is a fresh buffer. */
export function* encodeStringTable(
  strings: readonly string[],
  count: number,
  chunkBytesMax = stringChunkBytesDefault,
): Generator<Uint8Array> {
  let chunk = Buffer.allocUnsafe(chunkBytesMax);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const s = strings[i]!;
    assert(s.isWellFormed(), 'an interned string round-trips through UTF-8');
    const length = Buffer.byteLength(s, 'utf8');
    if (at + lengthBytes + length > chunk.length) {
      if (at > 0) yield chunk.subarray(0, at);
      chunk = Buffer.allocUnsafe(Math.max(chunkBytesMax, lengthBytes + length));
      at = 0;
    }
    chunk.writeUInt32LE(length, at);
    at += lengthBytes;
    at += chunk.write(s, at, length, 'utf8');
  }
  if (at > 0) yield chunk.subarray(0, at);
}

/** The `count` strings held by `chunks` (each a whole number of encoded strings). */
export function decodeStringTable(chunks: Iterable<Uint8Array>, count: number): string[] {
  const strings = new Array<string>(count);
  let i = 0;
  for (const chunk of chunks) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < bytes.length; ) {
      assert(at + lengthBytes <= bytes.length && i < count, 'a string table holds `count` strings');
      const length = bytes.readUInt32LE(at);
      at += lengthBytes;
      assert(at + length <= bytes.length, 'an encoded string lies within its chunk');
      strings[i++] = bytes.toString('utf8', at, at + length);
      at += length;
    }
  }
  assert(i === count, 'a string table holds `count` strings');
  return strings;
}
