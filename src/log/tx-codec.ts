/**
 * The compact bytes of a tx record (log record kind 4; kind 1, record-codec.ts, is only read).
 * Narrow columns that zstd compresses well: a tick batch takes 8 bytes a tick, kind 1 took 137.
 *
 *   record   compression byte (0 none, 1 zstd) · rawBytes (varint) · the body, as compressed
 *   body     tx · instantMs · datoms n · attribute count · attribute ids (varints)
 *            · a mode byte per attribute · 7 regions, each a uint32 LE byte length and its bytes:
 *   slots    per datom, its attribute's index in the list above (varint)
 *   e        per datom, e less the previous datom's e (signed varint; the first less 0)
 *   tags     per datom, one byte: value kind (0 number, 1 string, 2 false, 3 true) | added << 2
 *   decimals per number of an attribute whose mode is a scale d (0..15), the mantissa
 *            round(v · 10^d) less the previous one of that attribute (signed varint)
 *   floats   the numbers of attributes whose mode is 255, as float64 LE, byte-shuffled (byte 0
 *            of each, then byte 1, ...): the bytes that repeat end up side by side for zstd
 *   lengths  per string value, its length in UTF-16 units (varint)
 *   text     every string value, joined, as UTF-8
 *
 * An attribute's numbers are decimals when every one is finite, not -0, and is exactly
 * mantissa / 10^d with |mantissa| < 2^50; else floats. Below 2^50, x · 10^d rounds to the mantissa
 * exactly, so a decimal at scale d is one at every larger scale too, and one pass finds the least
 * scale an attribute needs. Ticks' prices, volumes, refs and timestamps are all decimals. Decoding checks the record's shape throughout and refuses damage
 * as GSW_ERR_LOG_CORRUPT; encoding asserts the record's invariants.
 */
import zstd from 'zstd-napi/binding.js';
import { assert } from '../db/assert.js';
import { ADDED, DatomColumns, NUMBER, STRING, TRUE } from '../db/datom-columns.js';
import type { TxRecord } from '../db/db.js';
import type { Normal } from '../db/values.js';
import { fail } from '../errors.js';
import { localEntryBytesMaxDefault } from './log.js';
import { VarintReader, varintBytesMax, writeInt, writeUint } from './varint.js';

/**
 * The most body bytes a record may have before compression. A reader allocates what a record
 * claims, so damage cannot claim more. A tx this large would not have fit an entry as kind 1
 * either, which takes more bytes a datom than this body.
 */
export const txRawBytesMax = localEntryBytesMaxDefault;
/**
 * Measured on the bench's tick batches: level 2 takes 8.2 bytes a tick, level 1 takes 10.9 and
 * level 3 takes 8.1 at 1.6x the encode time.
 */
const zstdLevel = 2;
/** Smaller bodies are stored as they are: a zstd frame's own overhead would eat the gain. */
const compressBytesMin = 64;

const NONE = 0;
const ZSTD = 1;
const FLOATS = 255;
const scaleMax = 15;
const mantissaMax = 2 ** 50;
const tenTo = Array.from({ length: scaleMax + 1 }, (_, d) => 10 ** d);
const regionCount = 7;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
let cctx: zstd.CCtx | undefined;
let dctx: zstd.DCtx | undefined;

export function encodeTxRecord(record: TxRecord): Uint8Array {
  assertWritable(record);
  assert(Number.isSafeInteger(record.instantMs) && record.instantMs >= 0, 'a tx instant is whole ms');
  return compressed(writeBody(record, layOut(record)));
}

/** What every tx record written must be, whatever its encoding (record-codec.ts too). */
export function assertWritable(record: TxRecord): void {
  assert(Number.isSafeInteger(record.tx) && record.tx > 0, 'a tx record written has a positive tx id');
  for (const s of record.datoms.strings())
    assert(s.isWellFormed(), 'a string written to the log round-trips through UTF-8');
}

/** The record in `bytes`; its tx id must be above `afterTx` (the previous record's). */
export function decodeTxRecord(bytes: Uint8Array, afterTx = 0): TxRecord {
  const body = decompressed(bytes);
  const header = new VarintReader(body, 0, body.byteLength, 'a tx record read from the log');
  const tx = header.uint();
  if (tx <= afterTx) header.damaged(`tx ids read from the log increase (${tx} after ${afterTx})`);
  const instantMs = header.uint();
  const n = header.uint();
  const attrCount = header.uint();
  if (n > body.byteLength || attrCount > body.byteLength) header.damaged('counts past its size');
  const attrs = Array.from({ length: attrCount }, () => header.uint());
  if (header.at + attrCount > body.byteLength) header.damaged('its number modes are cut short');
  const modes = body.subarray(header.at, header.at + attrCount);
  header.at += attrCount;
  if (modes.some((d) => d > scaleMax && d !== FLOATS)) header.damaged('an unknown number mode');
  const [slots, es, tags, decimals, floats, lengths, text] = regions(body, header);
  if (tags.end - tags.at !== n) header.damaged('a tags region not one byte a datom');
  const values = new Values(body, modes, decimals, floats, lengths, text);
  const record = { tx, instantMs, datoms: new DatomColumns(n) };
  let e = 0;
  for (let i = 0; i < n; i++) {
    const slot = slots.uint();
    if (slot >= attrCount) slots.damaged('an attribute index past the list');
    e += es.int();
    if (!(e >= 0 && Number.isSafeInteger(e))) es.damaged(`entity id ${e}`);
    const tag = body[tags.at + i]!;
    if (tag > (ADDED | TRUE)) tags.damaged(`tag ${tag}`);
    record.datoms.push(e, attrs[slot]!, values.next(tag & 3, slot), tag >= ADDED);
  }
  tags.at += n;
  for (const region of [slots, es, tags, decimals]) region.finish();
  values.finish();
  return record;
}

/** What the first pass learns: each datom's attribute index, each attribute's number mode. */
interface Layout {
  attrs: number[];
  slots: Uint32Array;
  modes: Uint8Array;
  floatCount: number;
}

function layOut(record: TxRecord): Layout {
  const columns = record.datoms;
  const tags = columns.tags();
  const slotOf = new Map<number, number>();
  const attrs: number[] = [];
  const scales: number[] = [];
  const magnitudes: number[] = [];
  const numberCounts: number[] = [];
  const slots = new Uint32Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const a = columns.a(i);
    let slot = slotOf.get(a);
    if (slot === undefined) {
      assert(Number.isSafeInteger(a) && a >= 0, 'attribute ids written are safe integers');
      slot = attrs.push(a) - 1;
      slotOf.set(a, slot);
      scales.push(0);
      magnitudes.push(0);
      numberCounts.push(0);
    }
    slots[i] = slot;
    if ((tags[i]! & 3) !== NUMBER) continue;
    const x = columns.v(i) as number;
    numberCounts[slot]++;
    if (scales[slot] !== FLOATS) scales[slot] = scaleOf(x, scales[slot]!);
    if (x > magnitudes[slot]! || -x > magnitudes[slot]!) magnitudes[slot] = Math.abs(x);
  }
  let floatCount = 0;
  const modes = Uint8Array.from(scales, (d, slot) => {
    const mode = d !== FLOATS && magnitudes[slot]! * tenTo[d]! < mantissaMax ? d : FLOATS;
    if (mode === FLOATS) floatCount += numberCounts[slot]!;
    return mode;
  });
  return { attrs, slots, modes, floatCount };
}

/** The least scale ≥ `from` at which `x` is a decimal, or FLOATS. */
function scaleOf(x: number, from: number): number {
  if (!Number.isFinite(x) || (x === 0 && 1 / x < 0)) return FLOATS;
  for (let d = from; d <= scaleMax; d++) if (Math.round(x * tenTo[d]!) / tenTo[d]! === x) return d;
  return FLOATS;
}

function writeBody(record: TxRecord, layout: Layout): Uint8Array {
  const columns = record.datoms;
  const { attrs, slots, modes } = layout;
  const n = columns.length;
  const strings = columns.strings();
  const stringUnits = strings.reduce((units, s) => units + s.length, 0);
  const bytesMax =
    (4 + attrs.length) * varintBytesMax + // tx, instantMs, n, attribute count and ids
    attrs.length + // modes
    regionCount * 4 +
    n * (3 * varintBytesMax + 1) + // slots, e, decimals, tags
    layout.floatCount * 8 +
    strings.length * varintBytesMax +
    stringUnits * 3; // UTF-8 takes at most 3 bytes a UTF-16 unit
  const out = Buffer.allocUnsafe(bytesMax);
  let at = writeUint(out, 0, record.tx);
  at = writeUint(out, at, record.instantMs);
  at = writeUint(out, at, n);
  at = writeUint(out, at, attrs.length);
  for (const attr of attrs) at = writeUint(out, at, attr);
  out.set(modes, at);
  at += modes.length;
  /** Writes a region: its bytes after a uint32 of their length. */
  const region = (write: (from: number) => number) => {
    const end = write(at + 4);
    out.writeUInt32LE(end - at - 4, at);
    at = end;
  };
  region((from) => {
    for (let i = 0; i < n; i++) from = writeUint(out, from, slots[i]!);
    return from;
  });
  region((from) => {
    for (let i = 0, previous = 0; i < n; i++) {
      const e = columns.e(i);
      assert(Number.isSafeInteger(e) && e >= 0, 'entity ids written are safe integers');
      from = writeInt(out, from, e - previous);
      previous = e;
    }
    return from;
  });
  region((from) => {
    out.set(columns.tags(), from);
    return from + n;
  });
  const floats = new Float64Array(layout.floatCount);
  region((from) => writeDecimals(columns, layout, out, from, floats));
  region((from) => shuffle(new Uint8Array(floats.buffer), 8, out, from));
  region((from) => {
    for (const s of strings) from = writeUint(out, from, s.length);
    return from;
  });
  region((from) => from + out.write(strings.join(''), from, 'utf8'));
  if (at > txRawBytesMax) {
    fail('GSW_ERR_TX_TOO_LARGE', `the tx takes ${at} bytes before compression, more than ${txRawBytesMax}`, {
      bytes: at,
      rawBytesMax: txRawBytesMax,
    });
  }
  return out.subarray(0, at);
}

/** Writes the decimals region at `at`, returns its end; the other numbers go to `floats`. */
function writeDecimals(
  columns: DatomColumns,
  layout: Layout,
  out: Uint8Array,
  at: number,
  floats: Float64Array,
): number {
  const { slots, modes } = layout;
  const tags = columns.tags();
  const previous = new Float64Array(modes.length);
  for (let i = 0, f = 0; i < columns.length; i++) {
    if ((tags[i]! & 3) !== NUMBER) continue;
    const x = columns.v(i) as number;
    const slot = slots[i]!;
    const d = modes[slot]!;
    if (d === FLOATS) {
      floats[f++] = x;
      continue;
    }
    const mantissa = Math.round(x * tenTo[d]!);
    assert(mantissa / tenTo[d]! === x, 'a decimal written reads back as the same float64');
    at = writeInt(out, at, mantissa - previous[slot]!);
    previous[slot] = mantissa;
  }
  return at;
}

/** Writes plane j (byte j of every `width`-byte item of `from`) after plane j-1, at `at`. */
function shuffle(from: Uint8Array, width: number, out: Uint8Array, at: number): number {
  const count = from.length / width;
  for (let j = 0; j < width; j++) for (let i = 0; i < count; i++) out[at++] = from[i * width + j]!;
  return at;
}

/** The inverse of `shuffle`. */
function unshuffle(from: Uint8Array, width: number): Uint8Array {
  const count = from.length / width;
  const out = new Uint8Array(from.length);
  for (let j = 0, at = 0; j < width; j++) for (let i = 0; i < count; i++) out[i * width + j] = from[at++]!;
  return out;
}

/** The body's regions after the header, each a reader of its bytes; they must end the body. */
function regions(body: Uint8Array, header: VarintReader): VarintReader[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const names = ['slots', 'e', 'tags', 'decimals', 'floats', 'lengths', 'text'];
  const out = names.map((name) => {
    const length = header.at + 4 <= body.byteLength ? view.getUint32(header.at, true) : Number.NaN;
    const start = header.at + 4;
    if (!(start + length <= body.byteLength)) header.damaged(`its ${name} region is cut short`);
    header.at = start + length;
    return new VarintReader(body, start, start + length, `the ${name} of a tx record read from the log`);
  });
  header.finish();
  return out;
}

/** The values of a record being read, in datom order, from the regions that hold them. */
class Values {
  private readonly strings: string[];
  private readonly floats: Float64Array;
  private readonly previous: Float64Array;
  private s = 0;
  private f = 0;

  constructor(
    body: Uint8Array,
    private readonly modes: Uint8Array,
    private readonly decimals: VarintReader,
    private readonly floatRegion: VarintReader,
    lengths: VarintReader,
    private readonly text: VarintReader,
  ) {
    if ((floatRegion.end - floatRegion.at) % 8 !== 0) floatRegion.damaged('not whole float64s');
    const shuffled = body.subarray(floatRegion.at, floatRegion.end);
    this.floats = new Float64Array(unshuffle(shuffled, 8).buffer);
    this.previous = new Float64Array(modes.length);
    this.strings = readStrings(body, lengths, text);
  }

  next(kind: number, slot: number): Normal {
    if (kind === STRING) {
      if (this.s === this.strings.length) this.text.damaged('fewer strings than string values');
      return this.strings[this.s++]!;
    }
    if (kind !== NUMBER) return kind === TRUE;
    const d = this.modes[slot]!;
    if (d === FLOATS) {
      if (this.f === this.floats.length) this.floatRegion.damaged('fewer floats than float values');
      return this.floats[this.f++]!;
    }
    const mantissa = this.previous[slot]! + this.decimals.int();
    if (!(Math.abs(mantissa) < mantissaMax)) this.decimals.damaged(`a mantissa of ${mantissa}`);
    this.previous[slot] = mantissa;
    return mantissa / tenTo[d]!;
  }

  finish(): void {
    if (this.s !== this.strings.length) this.text.damaged('more strings than string values');
    if (this.f !== this.floats.length) this.floatRegion.damaged('more floats than float values');
  }
}

/** The string values: the text cut at the lengths, which must add up to all of it. */
function readStrings(body: Uint8Array, lengths: VarintReader, text: VarintReader): string[] {
  let joined = '';
  try {
    joined = utf8.decode(body.subarray(text.at, text.end));
  } catch {
    text.damaged('not UTF-8');
  }
  const strings: string[] = [];
  let at = 0;
  while (lengths.at < lengths.end) {
    const length = lengths.uint();
    if (at + length > joined.length) lengths.damaged('strings longer than the text');
    strings.push(joined.slice(at, (at += length)));
  }
  if (at !== joined.length) lengths.damaged('strings shorter than the text');
  // Pure ASCII cannot be cut inside a surrogate pair; other text is checked string by string.
  const ascii = joined.length === text.end - text.at;
  if (!ascii && !strings.every((s) => s.isWellFormed())) lengths.damaged('a string cut in a pair');
  return strings;
}

function compressed(body: Uint8Array): Uint8Array {
  const head = Buffer.allocUnsafe(1 + varintBytesMax);
  let packed = body;
  head[0] = NONE;
  if (body.byteLength >= compressBytesMin) {
    cctx ??= new zstd.CCtx();
    const out = Buffer.allocUnsafe(zstd.compressBound(body.byteLength));
    const length = cctx.compress(out, body, zstdLevel);
    if (length < body.byteLength) {
      packed = out.subarray(0, length);
      head[0] = ZSTD;
    }
  }
  const headBytes = writeUint(head, 1, body.byteLength);
  const record = new Uint8Array(headBytes + packed.byteLength);
  record.set(head.subarray(0, headBytes));
  record.set(packed, headBytes);
  return record;
}

function decompressed(bytes: Uint8Array): Uint8Array {
  const head = new VarintReader(bytes, 1, bytes.byteLength, 'a tx record read from the log');
  const compression = bytes[0];
  const rawBytes = head.uint();
  if (rawBytes > txRawBytesMax) head.damaged(`it claims ${rawBytes} bytes, more than ${txRawBytesMax}`);
  const packed = bytes.subarray(head.at);
  if (compression === NONE) {
    if (packed.byteLength !== rawBytes)
      head.damaged(`${packed.byteLength} bytes where it claims ${rawBytes}`);
    return packed;
  }
  if (compression !== ZSTD) head.damaged(`unknown compression ${compression}`);
  const body = new Uint8Array(rawBytes);
  let length = -1;
  try {
    dctx ??= new zstd.DCtx();
    length = dctx.decompress(body, packed);
  } catch (error) {
    head.damaged(`its zstd body does not decompress (${(error as Error).message})`);
  }
  if (length !== rawBytes) head.damaged(`${length} bytes decompressed where it claims ${rawBytes}`);
  return body;
}
