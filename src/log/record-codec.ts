/**
 * The bytes of a tx record in the log as kind 1, the format before kind 4 (tx-codec.ts): read so
 * older logs replay, written only by tests now. A msgpack map whose columns are raw little-endian
 * typed arrays (packing thousands of numbers one by one costs more than the rest of a commit),
 * and the string values in order.
 *
 * Both directions assert the record's shape: equal column lengths, one string per string value,
 * and strings that survive UTF-8 (msgpack would turn a lone surrogate into U+FFFD, so the value
 * read back would differ from the one acknowledged). Reading also checks that tx ids increase.
 */
import { Packr } from 'msgpackr';
import { assert } from '../db/assert.js';
import { DatomColumns } from '../db/datom-columns.js';
import type { TxRecord } from '../db/db.js';
import { assertWritable } from './tx-codec.js';

const packr = new Packr({ useRecords: false });
/** Value kinds; 0 (the zero a kinds column starts with) is a number. */
const STRING = 1;
const BOOLEAN = 2;

interface Wire {
  tx: number;
  instantMs: number;
  e: Uint8Array;
  a: Uint8Array;
  added: Uint8Array;
  kinds: Uint8Array;
  num: Uint8Array;
  str: string[];
}

export function encodeRecord(record: TxRecord): Uint8Array {
  assertWritable(record);
  const columns = record.datoms;
  const n = columns.length;
  const [e, a, num] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const added = new Uint8Array(n);
  const kinds = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    e[i] = columns.e(i);
    a[i] = columns.a(i);
    added[i] = columns.added(i) ? 1 : 0;
    const v = columns.v(i);
    if (typeof v === 'number') num[i] = v;
    else if (typeof v === 'boolean') {
      kinds[i] = BOOLEAN;
      num[i] = v ? 1 : 0;
    } else kinds[i] = STRING;
  }
  const wire: Wire = {
    tx: record.tx,
    instantMs: record.instantMs,
    e: bytes(e),
    a: bytes(a),
    added,
    kinds,
    num: bytes(num),
    str: [...columns.strings()],
  };
  return packr.pack(wire);
}

/** The record in `bytes`; its tx id must be above `afterTx` (the previous record's). */
export function decodeRecord(bytes: Uint8Array, afterTx = 0): TxRecord {
  const wire = packr.unpack(bytes) as Wire;
  assert(typeof wire === 'object' && wire !== null, 'a tx record read is a map');
  assert(Number.isSafeInteger(wire.tx) && wire.tx > afterTx, 'tx ids read from the log increase');
  const n = wire.kinds?.length;
  assert(
    wire.e?.byteLength === n * 8 &&
      wire.a?.byteLength === n * 8 &&
      wire.num?.byteLength === n * 8 &&
      wire.added?.length === n,
    'a tx record read has equal column lengths',
  );
  const [e, a, num] = [float64s(wire.e), float64s(wire.a), float64s(wire.num)];
  const strings = wire.str;
  const oneStringEach = 'a tx record read has one string per string value';
  assert(Array.isArray(strings), oneStringEach);
  const datoms = new DatomColumns(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const kind = wire.kinds[i];
    if (kind === STRING) assert(s < strings.length, oneStringEach);
    const v = kind === STRING ? strings[s++]! : kind === BOOLEAN ? num[i] === 1 : num[i]!;
    datoms.push(e[i]!, a[i]!, v, wire.added[i] === 1);
  }
  assert(s === strings.length, oneStringEach);
  return { tx: wire.tx, instantMs: wire.instantMs, datoms };
}

function bytes(array: Float64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** A copy, so the view is 8-aligned whatever the offset of the bytes in their buffer. */
function float64s(raw: Uint8Array): Float64Array {
  const out = new Float64Array(raw.byteLength / 8);
  new Uint8Array(out.buffer).set(raw);
  return out;
}
