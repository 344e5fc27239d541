/** The bytes of a tx record in the log: msgpack of the record's columns. */
import { Packr } from 'msgpackr';
import type { TxRecord } from '../db/db.js';

const packr = new Packr({ useRecords: false });

export function encodeRecord(record: TxRecord): Uint8Array {
  return packr.pack(record);
}

export function decodeRecord(bytes: Uint8Array): TxRecord {
  return packr.unpack(bytes) as TxRecord;
}
