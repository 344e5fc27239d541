/**
 * Checkpoint files: a store image plus the log position it covers, so a restart loads the image
 * and replays only the log after that position.
 *
 * Layout: "GSWCKPT6", a uint32 header length, the header's CRC-32, the body's CRC-32, the msgpack
 * header (position, schema, string count, a table of sections: name, element type, byte offset,
 * element count, packing), then each section's bytes, aligned to 8. The regular sections are
 * packed (section-packing.ts: zstd, ascending uint32s as differences) and unpacked at load; the
 * values are stored raw, after the packed sections, and loading makes typed-array views of them
 * without copying (over a buffer of their own: the packed bytes are freed once unpacked). The
 * strings are the interner's own byte table (UTF-8, back to back) and its offsets
 * (src/db/intern.ts). Both checksums are verified on load: a damaged checkpoint is refused (and
 * the log replayed instead), never half-believed.
 * Written as a stream to a temporary file (the body checksum is filled in at the end), synced,
 * then renamed over the old one: a crash leaves either the old checkpoint or the new, never a
 * torn one, and a failed write (a full disk) removes the temporary file.
 * Writing is asynchronous: sections are packed 4 MiB at a time, then written in pieces of at most
 * 8 MiB whose writes and fsync run off the event loop, which only checksums each piece, so
 * heartbeats and requests go on while a large checkpoint is written. The image must not change meanwhile (DatomStore.image copies what
 * later txs change in place).
 */
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { pack, unpack } from 'msgpackr';
import { assert } from '../db/assert.js';
import { BitColumn } from '../db/bit-column.js';
import type { ColumnName, StoreImage } from '../db/datoms.js';
import { type EntitiesImage, EntityColumn } from '../db/entity-column.js';
import { Interner } from '../db/intern.js';
import { PositionList } from '../db/position-list.js';
import type { PostingsImage } from '../db/postings.js';
import type { StepsImage } from '../db/step-column.js';
import { ValueColumn } from '../db/value-column.js';
import { GswarmError } from '../errors.js';
import type { EpochRecord } from '../log/epoch-record.js';
import { type Packing, packingFor, packSection, touchedArray, unpackSection } from './section-packing.js';

// 6: sections may be packed (section-packing.ts); 5: string postings are dense arrays
// (src/db/postings.ts), entity chains are steps (src/db/links.ts), retractions a bitmap and a
// table (src/db/retractions.ts). An older checkpoint is refused and the log replayed.
const MAGIC = 'GSWCKPT6';
const HEADER_LENGTH_AT = MAGIC.length;
const HEADER_CRC_AT = MAGIC.length + 4;
const BODY_CRC_AT = MAGIC.length + 8;
/** Magic, header length, header CRC, body CRC. */
const PREFIX_BYTES = MAGIC.length + 12;
/**
 * Bytes per write (and per checksum step, the part done on the event loop): small enough that
 * serving goes on between them, large enough that the writes stay sequential and cheap.
 */
const writeBytesMax = 8 << 20;
/** Bytes per read at load: the next is read while this one is checksummed. */
const readBytesMax = 64 << 20;
type Kind = 'u8' | 'u16' | 'u32' | 'f64';
type Typed = Uint8Array | Uint16Array | Uint32Array | Float64Array;
const ctors = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, f64: Float64Array } as const;

interface Section {
  name: string;
  kind: Kind;
  offset: number;
  /** Elements. */
  length: number;
  /** How the stored bytes are packed (section-packing.ts), and the bytes of each frame. */
  packing?: Packing;
  frames?: number[];
}

interface Header {
  logPosition: number;
  /** The latest epoch (leadership) record at or before logPosition, in a shared log. */
  epoch?: EpochRecord;
  entityBase: number;
  /** The retention horizon (absent: nothing pruned). */
  horizonTx?: number;
  schemas: StoreImage['schemas'];
  avetSlots: number[];
  slots: number;
  stringCount: number;
  sections: Section[];
}

/** A section to write: its bytes come as chunks, their total known before the first. */
interface Outgoing {
  name: string;
  kind: Kind;
  /** Elements. */
  length: number;
  byteLength: number;
  chunks: () => Iterable<Uint8Array>;
  /** The section's elements, to pack. */
  array: Typed;
  packing?: Packing;
  frames?: number[];
}

export interface CheckpointWriteOptions {
  /** The latest epoch record the log held at the checkpoint's position (a replica of a shard). */
  epoch?: EpochRecord;
}

/** What a checkpoint holds. */
export interface Checkpoint {
  image: StoreImage;
  logPosition: number;
  epoch: EpochRecord | undefined;
}

export async function writeCheckpoint(
  path: string,
  image: StoreImage,
  logPosition: number,
  options: CheckpointWriteOptions = {},
): Promise<void> {
  const outgoing: Outgoing[] = [];
  const add = (name: string, array: Typed) =>
    outgoing.push({
      name,
      kind: kindOf(array),
      length: array.length,
      byteLength: array.byteLength,
      chunks: () => [bytesOf(array)],
      array,
    });
  for (const [name, column] of Object.entries(image.columns)) add(`col.${name}`, column);
  image.counts.forEach((t, slot) => {
    add(`count.tx.${slot}`, t.txIndex);
    add(`count.n.${slot}`, t.count);
  });
  const addPostings = (name: string, postings: PostingsImage) => {
    // A dense table (keys indexed by position) has no keys section.
    if (postings.keys !== null) add(`${name}.keys`, postings.keys);
    add(`${name}.entries`, postings.entries);
    add(
      `${name}.lengths`,
      Uint32Array.from(postings.lists, (l) => l.length),
    );
    add(`${name}.lists`, concat(postings.lists));
  };
  add('values.small', image.values.small);
  add('values.wide', image.values.wide);
  add('values.words', image.values.words);
  add('added.bits', image.added.bits);
  const addSteps = (name: string, steps: StepsImage<Uint8Array | Uint16Array>) => {
    add(`${name}.bases`, steps.bases);
    add(`${name}.steps`, steps.steps);
    addPostings(`${name}.far`, steps.far);
  };
  addSteps('entities', image.entities);
  image.byAttr.forEach((list, slot) => addSteps(`aevt.${slot}`, list));
  add('links.steps', image.links.steps);
  addPostings('links.far', image.links.far);
  add('retractions.marked', image.retractions.marked);
  addPostings('retractions.ends', image.retractions.ends);
  const avetSlots: number[] = [];
  image.avet.forEach((postings, slot) => {
    if (postings === null) return;
    avetSlots.push(slot);
    addPostings(`avet.${slot}`, postings);
  });
  const { strings } = image;
  // The whole table as one view (no copy).
  add('str.utf8', strings.byteLength === 0 ? new Uint8Array(0) : [...strings.chunks(strings.byteLength)][0]!);
  addSteps('str.offsets', strings.offsets);
  add('str.table', strings.table);
  add('str.tags', strings.tags!);
  for (const section of outgoing) {
    const packing = packingFor(section.name, section.array);
    if (packing === undefined) continue;
    const frames = await packSection(section.array, packing);
    section.packing = packing;
    section.frames = frames.map((frame) => frame.byteLength);
    section.byteLength = section.frames.reduce((sum, n) => sum + n, 0);
    section.chunks = () => frames;
  }

  // Packed sections first: a reader unpacks them while the raw ones are still being read.
  outgoing.sort((x, y) => Number(x.packing === undefined) - Number(y.packing === undefined));
  const sections: Section[] = [];
  let offset = 0;
  for (const { name, kind, length, byteLength, packing, frames } of outgoing) {
    sections.push({ name, kind, offset, length, ...(packing && { packing, frames }) });
    offset = align8(offset + byteLength);
  }
  const header: Header = {
    logPosition,
    ...(options.epoch && { epoch: options.epoch }),
    entityBase: image.entityBase,
    ...(image.horizonTx > 0 && { horizonTx: image.horizonTx }),
    schemas: image.schemas,
    avetSlots,
    slots: image.byAttr.length,
    stringCount: strings.count,
    sections,
  };
  const headerBytes = pack(header);
  const prefix = Buffer.alloc(align8(PREFIX_BYTES + headerBytes.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, HEADER_LENGTH_AT);
  prefix.writeUInt32LE(crc32(headerBytes), HEADER_CRC_AT);
  headerBytes.copy(prefix, PREFIX_BYTES);

  const temporary = `${path}.tmp`;
  try {
    await writeFileSynced(temporary, async (write) => {
      await write(prefix);
      let bodyCrc = 0;
      const padding = Buffer.alloc(8);
      for (const section of outgoing) {
        let written = 0;
        for (const chunk of section.chunks()) {
          for (let at = 0; at < chunk.byteLength; at += writeBytesMax) {
            const piece = chunk.subarray(at, at + writeBytesMax);
            bodyCrc = crcOn(piece, bodyCrc);
            await write(piece);
          }
          written += chunk.byteLength;
        }
        assert(written === section.byteLength, `checkpoint section ${section.name} has its declared size`);
        const pad = padding.subarray(0, align8(written) - written);
        bodyCrc = crcOn(pad, bodyCrc);
        await write(pad);
      }
      const crc = Buffer.alloc(4);
      crc.writeUInt32LE(bodyCrc);
      return { at: BODY_CRC_AT, bytes: crc };
    });
    await rename(temporary, path);
    await syncDirectory(dirname(path));
  } catch (error) {
    await rm(temporary, { force: true });
    if ((error as NodeJS.ErrnoException).syscall !== undefined) {
      throw new GswarmError(
        'GSW_ERR_STORE_FAILED',
        `checkpoint ${path} was not written: ${(error as Error).message}`,
        { path },
        error,
      );
    }
    throw error;
  }
}

/**
 * Writes a file through `body` (which returns bytes to patch in at an offset once the rest is
 * written), then syncs it.
 */
async function writeFileSynced(
  path: string,
  body: (write: (bytes: Uint8Array) => Promise<void>) => Promise<{ at: number; bytes: Uint8Array }>,
): Promise<void> {
  const file = await open(path, 'w');
  try {
    let position = 0;
    const write = async (bytes: Uint8Array) => {
      await writeAll(file, bytes, position);
      position += bytes.byteLength;
    };
    const patch = await body(write);
    await writeAll(file, patch.bytes, patch.at);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function writeAll(file: FileHandle, bytes: Uint8Array, at: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    done += (await file.write(bytes, done, bytes.byteLength - done, at + done)).bytesWritten;
  }
}

/** The checkpoint at `path`, or undefined if there is none. */
export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return decode(await readSections(handle));
  } catch (error) {
    // A failed read is the disk's; anything else is the checkpoint's.
    if ((error as NodeJS.ErrnoException).syscall !== undefined) throw error;
    throw new GswarmError(
      'GSW_ERR_CHECKPOINT',
      `checkpoint ${path} is unreadable: ${(error as Error).message}`,
      {},
      error,
    );
  } finally {
    await handle.close();
  }
}

/**
 * A checkpoint file in memory as two unpooled (so 8-aligned) buffers, split where the raw
 * sections begin: before it the prefix, header and packed sections, garbage once unpacked; from
 * it on the raw sections, which the loaded store keeps as views. In one buffer the packed bytes
 * would live as long as the views.
 */
class FileBytes {
  private readonly head: Buffer;
  private readonly tail: Buffer;

  constructor(
    readonly size: number,
    readonly split: number,
  ) {
    this.head = Buffer.allocUnsafeSlow(split);
    this.tail = Buffer.allocUnsafeSlow(size - split);
  }

  /** The bytes [from, to) of the file: within one buffer, so never across the split. */
  bytes(from: number, to: number): Buffer {
    assert(from <= to && to <= this.size, 'checkpoint bytes in bounds');
    if (from >= this.split) return this.tail.subarray(from - this.split, to - this.split);
    assert(to <= this.split, 'checkpoint bytes on one side of the split');
    return this.head.subarray(from, to);
  }

  /** A typed view of `length` elements at `offset`, without a copy. */
  view(ctor: (typeof ctors)[Kind], offset: number, length: number): Typed {
    const bytes = this.bytes(offset, offset + length * ctor.BYTES_PER_ELEMENT);
    return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
  }
}

/**
 * The header and sections of the checkpoint open at `handle`. The prefix and header are read
 * first (they say where the raw sections begin); the body is then read in pieces off the event
 * loop, the raw part while the packed part is unpacked, and each piece is checksummed and its
 * completed packed sections unpacked as it arrives, so the checksum and the unpacking cost
 * little more than the read.
 */
async function readSections(handle: FileHandle): Promise<{ header: Header; arrays: Map<string, Typed> }> {
  const size = (await handle.stat()).size;
  assert(size >= PREFIX_BYTES, 'checkpoint prefix');
  const prefix = await readBytes(handle, Buffer.allocUnsafeSlow(PREFIX_BYTES), 0);
  assert(prefix.toString('latin1', 0, MAGIC.length) === MAGIC, 'checkpoint magic');
  const headerLength = prefix.readUInt32LE(HEADER_LENGTH_AT);
  const bodyStart = align8(PREFIX_BYTES + headerLength);
  assert(bodyStart <= size, 'checkpoint header in bounds');
  const headerBytes = await readBytes(handle, Buffer.allocUnsafeSlow(headerLength), PREFIX_BYTES);
  assert(crc32(headerBytes) === prefix.readUInt32LE(HEADER_CRC_AT), 'checkpoint header checksum');
  const header = unpack(headerBytes) as Header;

  const sections = [...header.sections].sort((x, y) => x.offset - y.offset);
  const bounds = sections.map((s) => {
    const stored = s.frames
      ? s.frames.reduce((sum, n) => sum + n, 0)
      : s.length * ctors[s.kind].BYTES_PER_ELEMENT;
    const from = bodyStart + s.offset;
    assert(from + stored <= size, 'checkpoint section in bounds');
    return { s, from, to: from + stored };
  });
  const lastPacked = bounds.findLastIndex(({ s }) => s.packing !== undefined);
  const file = new FileBytes(size, bounds[lastPacked + 1]?.from ?? size);

  const loader = new SectionLoader(file, bounds, await open('/dev/zero', 'r').catch(() => undefined));
  // Two chains of reads at once: the packed part, then the raw part, which needs no unpacking and
  // so is read while the packed sections are unpacked. The buffers exist: nothing waits for room.
  const pieces = [
    ...readsOf(handle, file, bodyStart, file.split),
    ...readsOf(handle, file, file.split, size),
  ];
  try {
    let bodyCrc = 0;
    for (const reading of pieces) {
      const { piece, end } = await reading;
      bodyCrc = crcOn(piece, bodyCrc);
      await loader.unpackUpTo(end);
    }
    assert(bodyCrc === prefix.readUInt32LE(BODY_CRC_AT), 'checkpoint body checksum');
    return { header, arrays: await loader.finish() };
  } finally {
    // A failure can leave reads in flight: they must end before the file is closed.
    await Promise.allSettled(pieces);
    await loader.close();
  }
}

/**
 * Reads of the file's bytes [from, to) in pieces of at most `readBytesMax`, one after another,
 * each off the event loop; resolves each with its bytes and where they end.
 */
function readsOf(
  handle: FileHandle,
  file: FileBytes,
  from: number,
  to: number,
): Promise<{ piece: Buffer; end: number }>[] {
  const reads: Promise<{ piece: Buffer; end: number }>[] = [];
  let previous: Promise<unknown> = Promise.resolve();
  for (let at = from; at < to; at += readBytesMax) {
    const end = Math.min(to, at + readBytesMax);
    const read = previous.then(async () => ({
      piece: await readBytes(handle, file.bytes(at, end), at),
      end,
    }));
    // Awaited in order later; a failure before then must not count as unhandled.
    read.catch(() => undefined);
    reads.push(read);
    previous = read;
  }
  return reads;
}

/**
 * The sections of a checkpoint being read: each packed one is unpacked as soon as its bytes have
 * arrived, into memory touched meanwhile by the thread pool (section-packing.ts); each raw one is
 * a view of the file's bytes.
 */
class SectionLoader {
  private next = 0;
  private readonly targets = new Map<string, Promise<Typed>>();
  private readonly arrays = new Map<string, Typed>();

  /** `zero`: /dev/zero, to touch the unpacked sections' memory with. */
  constructor(
    private readonly file: FileBytes,
    private readonly bounds: readonly { s: Section; from: number; to: number }[],
    private readonly zero: FileHandle | undefined,
  ) {
    for (const { s } of bounds) {
      if (s.packing !== undefined)
        this.targets.set(s.name, touchedArray<Typed>(ctors[s.kind] as never, s.length, zero));
    }
  }

  /** Loads every section that ends at or before `end`, in file order. */
  async unpackUpTo(end: number): Promise<void> {
    for (; this.next < this.bounds.length && this.bounds[this.next]!.to <= end; this.next++) {
      const { s, from } = this.bounds[this.next]!;
      if (s.packing === undefined) {
        this.arrays.set(s.name, this.file.view(ctors[s.kind], from, s.length));
        continue;
      }
      let at = from;
      const frames = s.frames!.map((n) => this.file.bytes(at, (at += n)));
      this.arrays.set(s.name, unpackSection(await this.targets.get(s.name)!, frames, s.packing));
    }
  }

  async finish(): Promise<Map<string, Typed>> {
    await this.unpackUpTo(this.file.size);
    assert(this.next === this.bounds.length, 'checkpoint sections all read');
    return this.arrays;
  }

  async close(): Promise<void> {
    // Touching may still run (a failure stopped the unpacking): let it end before closing.
    await Promise.allSettled(this.targets.values());
    await this.zero?.close();
  }
}

function decode({ header, arrays }: { header: Header; arrays: Map<string, Typed> }): Checkpoint {
  const get = <T extends Typed>(name: string) => {
    const array = arrays.get(name);
    assert(array !== undefined, `checkpoint has section ${name}`);
    return array as T;
  };
  const postingsNamed = (name: string): PostingsImage => ({
    keys: arrays.has(`${name}.keys`) ? get<Float64Array>(`${name}.keys`) : null,
    entries: get<Uint32Array>(`${name}.entries`),
    lists: split(get<Uint32Array>(`${name}.lists`), get<Uint32Array>(`${name}.lengths`)),
  });
  const columns = {} as StoreImage['columns'];
  for (const s of header.sections) {
    // Older checkpoints' entity, value and assertion columns are read below, into their present forms.
    if (s.name.startsWith('col.') && !['col.e', 'col.v', 'col.added'].includes(s.name))
      columns[s.name.slice(4) as ColumnName] = arrays.get(s.name)!;
  }
  // Checkpoints written before attribute slots were narrowed hold them as uint16s.
  if (columns.a instanceof Uint16Array && header.slots <= 0x100) columns.a = Uint8Array.from(columns.a);
  const slots = Array.from({ length: header.slots }, (_, slot) => slot);
  const stepsNamed = <S extends Uint8Array | Uint16Array>(name: string): StepsImage<S> => ({
    bases: get<Uint32Array>(`${name}.bases`),
    steps: get<S>(`${name}.steps`),
    far: postingsNamed(`${name}.far`),
  });
  // Checkpoints written before the entity column was narrowed hold one uint32 per datom.
  const entities: EntitiesImage = arrays.has('col.e')
    ? EntityColumn.of(get<Uint32Array>('col.e')).image()
    : stepsNamed('entities');
  // Checkpoints written before the offsets were saved hold a length before each string; those
  // written before they were narrowed hold them as uint32s.
  const { bytes: utf8, offsets } = arrays.has('str.offsets.steps')
    ? { bytes: get<Uint8Array>('str.utf8'), offsets: stepsNamed<Uint16Array>('str.offsets') }
    : arrays.has('str.offsets')
      ? {
          bytes: get<Uint8Array>('str.utf8'),
          offsets: PositionList.of(get<Uint32Array>('str.offsets')).image(),
        }
      : (({ bytes, offsets }) => ({ bytes, offsets: PositionList.of(offsets).image() }))(
          Interner.unprefixed(get<Uint8Array>('str.utf8'), header.stringCount),
        );
  return {
    logPosition: header.logPosition,
    epoch: header.epoch,
    image: {
      entityBase: header.entityBase,
      columns,
      entities,
      // Checkpoints written before values were split hold them all as float64s.
      values: arrays.has('col.v')
        ? ValueColumn.of(get<Float64Array>('col.v')).image()
        : {
            small: get<Uint32Array>('values.small'),
            wide: get<Float64Array>('values.wide'),
            words: get<Uint32Array>('values.words'),
            length: get<Uint32Array>('values.small').length + get<Float64Array>('values.wide').length,
          },
      // Checkpoints written before these were bits hold a byte per datom.
      added: arrays.has('col.added')
        ? BitColumn.of(get<Uint8Array>('col.added')).image()
        : { bits: get<Uint8Array>('added.bits'), length: entities.steps.length },
      links: { steps: get<Uint8Array>('links.steps'), far: postingsNamed('links.far') },
      retractions: { marked: get<Uint8Array>('retractions.marked'), ends: postingsNamed('retractions.ends') },
      // Checkpoints written before the lists were narrowed hold them as uint32s.
      byAttr: slots.map((slot) =>
        arrays.has(`aevt.${slot}`)
          ? PositionList.of(get<Uint32Array>(`aevt.${slot}`)).image()
          : stepsNamed<Uint16Array>(`aevt.${slot}`),
      ),
      counts: slots.map((slot) => ({
        txIndex: get<Uint32Array>(`count.tx.${slot}`),
        count: get<Float64Array>(`count.n.${slot}`),
      })),
      avet: slots.map((slot) => (header.avetSlots.includes(slot) ? postingsNamed(`avet.${slot}`) : null)),
      strings: {
        count: header.stringCount,
        byteLength: utf8.byteLength,
        chunks: () => [utf8],
        offsets,
        table: get<Uint32Array>('str.table'),
        // Checkpoints written before tags existed have none: the interner makes them.
        ...(arrays.has('str.tags') && { tags: get<Uint8Array>('str.tags') }),
      },
      schemas: header.schemas,
      horizonTx: header.horizonTx ?? 0,
    },
  };
}

/** Fills `bytes` from the file at `at`; resolves with them. */
async function readBytes(handle: FileHandle, bytes: Buffer, at: number): Promise<Buffer> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesRead } = await handle.read(bytes, done, bytes.byteLength - done, at + done);
    if (bytesRead === 0) throw new Error(`the file ended at byte ${at + done}`);
    done += bytesRead;
  }
  return bytes;
}

function bytesOf(array: Typed): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
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

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
