/**
 * Checkpoint files: a store image plus the log position it covers, so a restart loads the image
 * and replays only the log after that position.
 *
 * Layout: "GSWCKPT2", a uint32 header length, the header's CRC-32, the msgpack header (position,
 * schema, a table of sections: name, element type, byte offset, element count, and the CRC-32 of
 * the body), then each section's raw bytes, aligned to 8 so that loading makes typed-array views
 * over the file buffer without copying. Both checksums are verified on load: a damaged checkpoint
 * is refused (and the log replayed instead), never half-believed.
 * Written to a temporary file, synced, then renamed over the old one: a crash leaves either the
 * old checkpoint or the new, never a torn one.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { pack, unpack } from 'msgpackr';
import { assert } from '../db/assert.js';
import type { ColumnName, StoreImage } from '../db/datoms.js';
import { GswarmError } from '../errors.js';

const MAGIC = 'GSWCKPT2';
/** Magic, header length, header CRC. */
const PREFIX_BYTES = MAGIC.length + 8;
type Kind = 'u8' | 'u16' | 'u32' | 'f64';
type Typed = Uint8Array | Uint16Array | Uint32Array | Float64Array;
const ctors = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, f64: Float64Array } as const;

interface Section {
  name: string;
  kind: Kind;
  offset: number;
  length: number;
}

interface Header {
  logPosition: number;
  entityBase: number;
  schemas: StoreImage['schemas'];
  avetSlots: number[];
  slots: number;
  sections: Section[];
  bodyCrc: number;
}

export function writeCheckpoint(path: string, image: StoreImage, logPosition: number): void {
  const arrays = new Map<string, Typed>();
  for (const [name, column] of Object.entries(image.columns)) arrays.set(`col.${name}`, column);
  image.byAttr.forEach((list, slot) => arrays.set(`aevt.${slot}`, list));
  image.counts.forEach((t, slot) => {
    arrays.set(`count.tx.${slot}`, t.txIndex);
    arrays.set(`count.n.${slot}`, t.count);
  });
  const avetSlots: number[] = [];
  image.avet.forEach((postings, slot) => {
    if (postings === null) return;
    avetSlots.push(slot);
    arrays.set(`avet.keys.${slot}`, postings.keys);
    arrays.set(`avet.entries.${slot}`, postings.entries);
    arrays.set(
      `avet.lengths.${slot}`,
      Uint32Array.from(postings.lists, (l) => l.length),
    );
    arrays.set(`avet.lists.${slot}`, concat(postings.lists));
  });
  const joined = Buffer.from(image.strings.joined, 'utf16le');
  arrays.set('str.joined', new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength));
  arrays.set('str.lengths', image.strings.lengths);
  arrays.set('str.table', image.strings.table);

  const sections: Section[] = [];
  let offset = 0;
  for (const [name, array] of arrays) {
    sections.push({ name, kind: kindOf(array), offset, length: array.length });
    offset = align8(offset + array.byteLength);
  }
  const padding = Buffer.alloc(8);
  let bodyCrc = 0;
  for (const array of arrays.values()) {
    bodyCrc = crcOn(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), bodyCrc);
    bodyCrc = crcOn(padding.subarray(0, align8(array.byteLength) - array.byteLength), bodyCrc);
  }
  const header: Header = {
    logPosition,
    entityBase: image.entityBase,
    schemas: image.schemas,
    avetSlots,
    slots: image.byAttr.length,
    sections,
    bodyCrc,
  };
  const headerBytes = pack(header);
  const prefix = Buffer.alloc(align8(PREFIX_BYTES + headerBytes.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  prefix.writeUInt32LE(crc32(headerBytes), MAGIC.length + 4);
  headerBytes.copy(prefix, PREFIX_BYTES);

  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, prefix);
    for (const array of arrays.values()) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let at = 0; at < bytes.length; at += 1 << 30) writeSync(fd, bytes.subarray(at, at + (1 << 30)));
      const pad = align8(array.byteLength) - array.byteLength;
      if (pad > 0) writeSync(fd, padding.subarray(0, pad));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(dirname(path));
}

/** The image and log position in the checkpoint at `path`, or undefined if there is none. */
export function readCheckpoint(path: string): { image: StoreImage; logPosition: number } | undefined {
  let file: Buffer;
  try {
    file = readWhole(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return decode(file);
  } catch (error) {
    throw new GswarmError(
      'GSW_ERR_CHECKPOINT',
      `checkpoint ${path} is unreadable: ${(error as Error).message}`,
      {},
      error,
    );
  }
}

function decode(file: Buffer): { image: StoreImage; logPosition: number } {
  assert(file.toString('latin1', 0, MAGIC.length) === MAGIC, 'checkpoint magic');
  const headerLength = file.readUInt32LE(MAGIC.length);
  const headerBytes = file.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength);
  assert(crc32(headerBytes) === file.readUInt32LE(MAGIC.length + 4), 'checkpoint header checksum');
  const header = unpack(headerBytes) as Header;
  const bodyStart = align8(PREFIX_BYTES + headerLength);
  assert(crc32(file.subarray(bodyStart)) === header.bodyCrc, 'checkpoint body checksum');
  const buffer = file.buffer as ArrayBuffer;
  const start = file.byteOffset + bodyStart;
  assert(start % 8 === 0, 'checkpoint sections are 8-aligned in memory');
  const arrays = new Map<string, Typed>();
  for (const s of header.sections) {
    const ctor = ctors[s.kind];
    assert(
      start + s.offset + s.length * ctor.BYTES_PER_ELEMENT <= buffer.byteLength,
      'checkpoint section in bounds',
    );
    arrays.set(s.name, new ctor(buffer, start + s.offset, s.length));
  }
  const get = <T extends Typed>(name: string) => {
    const array = arrays.get(name);
    assert(array !== undefined, `checkpoint has section ${name}`);
    return array as T;
  };
  const columns = {} as StoreImage['columns'];
  for (const s of header.sections) {
    if (s.name.startsWith('col.')) columns[s.name.slice(4) as ColumnName] = arrays.get(s.name)!;
  }
  const slots = Array.from({ length: header.slots }, (_, slot) => slot);
  const joined = get<Uint8Array>('str.joined');
  return {
    logPosition: header.logPosition,
    image: {
      entityBase: header.entityBase,
      columns,
      byAttr: slots.map((slot) => get<Uint32Array>(`aevt.${slot}`)),
      counts: slots.map((slot) => ({
        txIndex: get<Uint32Array>(`count.tx.${slot}`),
        count: get<Float64Array>(`count.n.${slot}`),
      })),
      avet: slots.map((slot) =>
        header.avetSlots.includes(slot)
          ? {
              keys: get<Float64Array>(`avet.keys.${slot}`),
              entries: get<Uint32Array>(`avet.entries.${slot}`),
              lists: split(get<Uint32Array>(`avet.lists.${slot}`), get<Uint32Array>(`avet.lengths.${slot}`)),
            }
          : null,
      ),
      strings: {
        joined: Buffer.from(joined.buffer, joined.byteOffset, joined.byteLength).toString('utf16le'),
        lengths: get<Uint32Array>('str.lengths'),
        table: get<Uint32Array>('str.table'),
      },
      schemas: header.schemas,
    },
  };
}

/** The file in one unpooled buffer (so 8-aligned), read in chunks: files may exceed 2 GiB. */
function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const file = Buffer.allocUnsafeSlow(size);
    for (let at = 0; at < size; ) at += readSync(fd, file, at, Math.min(size - at, 1 << 30), at);
    return file;
  } finally {
    closeSync(fd);
  }
}

function kindOf(array: Typed): Kind {
  if (array instanceof Uint8Array) return 'u8';
  if (array instanceof Uint16Array) return 'u16';
  if (array instanceof Uint32Array) return 'u32';
  return 'f64';
}

/** CRC-32 of `bytes` continuing `crc`. Node 20's crc32 returns 0 for a view of an empty buffer. */
function crcOn(bytes: Uint8Array, crc: number): number {
  return bytes.length === 0 ? crc : crc32(bytes, crc);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function concat(lists: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(lists.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const list of lists) {
    out.set(list, at);
    at += list.length;
  }
  return out;
}

function split(flat: Uint32Array, lengths: Uint32Array): Uint32Array[] {
  const out: Uint32Array[] = [];
  let at = 0;
  for (const length of lengths) {
    out.push(flat.subarray(at, at + length));
    at += length;
  }
  return out;
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
