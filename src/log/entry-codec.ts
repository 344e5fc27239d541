/**
 * The bytes of a log entry (one group commit): a format byte, the record count, a CRC-32 of what
 * follows, then each record's length and bytes. Lengths are little-endian uint32. Decoding checks
 * the CRC, so a flipped bit in the log (a damaged disk page, a bad copy) is refused as damage
 * instead of replayed as another tx; it makes views into the entry's bytes, without copying.
 * Format 1, the same without the CRC, is still read.
 */
import { crc32 } from 'node:zlib';
import { fail } from '../errors.js';

/** Changes whenever the layout does, so an older log is read as what it is, never misread. */
const formatVersion = 2;
const uncheckedFormat = 1;
const headerBytes = 1 + 4 + 4;
const lengthBytes = 4;

/** The encoded size of an entry holding `records`. */
export function entryBytes(records: readonly Uint8Array[]): number {
  return records.reduce((sum, record) => sum + lengthBytes + record.byteLength, headerBytes);
}

export function encodeEntry(records: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entryBytes(records));
  const view = new DataView(out.buffer);
  out[0] = formatVersion;
  view.setUint32(1, records.length, true);
  let at = headerBytes;
  for (const record of records) {
    view.setUint32(at, record.byteLength, true);
    out.set(record, at + lengthBytes);
    at += lengthBytes + record.byteLength;
  }
  view.setUint32(5, crcOf(out.subarray(headerBytes)), true);
  return out;
}

/** The records of an entry; `where` names the entry in the error when the bytes are not one. */
export function decodeEntry(bytes: Uint8Array, where: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = bytes[0];
  const start = format === uncheckedFormat ? 1 + 4 : headerBytes;
  if (bytes.byteLength < start || (format !== formatVersion && format !== uncheckedFormat)) {
    fail('GSW_ERR_LOG_CORRUPT', `${where} is not a log entry of format ${formatVersion}`, { where });
  }
  if (format === formatVersion && view.getUint32(5, true) !== crcOf(bytes.subarray(headerBytes))) {
    fail('GSW_ERR_LOG_CORRUPT', `${where} fails its checksum: its bytes were damaged`, { where });
  }
  const count = view.getUint32(1, true);
  const records: Uint8Array[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    const length = at + lengthBytes <= bytes.byteLength ? view.getUint32(at, true) : Number.NaN;
    const end = at + lengthBytes + length;
    if (!(end <= bytes.byteLength)) {
      fail('GSW_ERR_LOG_CORRUPT', `${where} is cut short in record ${i + 1} of ${count}`, { where });
    }
    records.push(bytes.subarray(at + lengthBytes, end));
    at = end;
  }
  if (at !== bytes.byteLength) {
    fail('GSW_ERR_LOG_CORRUPT', `${where} has ${bytes.byteLength - at} bytes after its records`, { where });
  }
  return records;
}

/**
 * How many of `records`, from the first, fit one entry of at most `entryBytesMax` bytes; at
 * least one, so a record too large on its own surfaces as a refused append, never a stall.
 */
export function recordsFitting(records: readonly (Uint8Array | undefined)[], entryBytesMax: number): number {
  let bytes = headerBytes;
  for (let i = 0; i < records.length; i++) {
    bytes += records[i] ? lengthBytes + records[i]!.byteLength : 0;
    if (bytes > entryBytesMax) return Math.max(i, 1);
  }
  return records.length;
}

/** CRC-32 of `bytes` (Node 20's crc32 returns 0 for a view of an empty buffer). */
function crcOf(bytes: Uint8Array): number {
  return bytes.byteLength === 0 ? 0 : crc32(bytes);
}

/** Refuses an entry over the limit, naming both sizes. */
export function checkEntryBytes(records: readonly Uint8Array[], entryBytesMax: number): void {
  const bytes = entryBytes(records);
  if (bytes > entryBytesMax) {
    fail(
      'GSW_ERR_ENTRY_TOO_LARGE',
      `a log entry of ${bytes} bytes exceeds entryBytesMax (${entryBytesMax} bytes)`,
      { bytes, entryBytesMax },
    );
  }
}
