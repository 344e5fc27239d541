/**
 * A record in the log is of one kind: a tx, or an epoch (leadership) record. Its first byte names
 * the kind; the rest is that kind's codec (record-codec.ts for txs, epoch-record.ts for epochs).
 */
import type { TxRecord } from '../db/db.js';
import { fail } from '../errors.js';
import { decodeEpochRecord, type EpochRecord, encodeEpochRecord } from './epoch-record.js';
import { decodeRecord, encodeRecord } from './record-codec.js';

export type LogRecord = { kind: 'tx'; tx: TxRecord } | { kind: 'epoch'; epoch: EpochRecord };

const TX = 1;
const EPOCH = 2;

export function encodeLogRecord(record: LogRecord): Uint8Array {
  return record.kind === 'tx'
    ? tagged(TX, encodeRecord(record.tx))
    : tagged(EPOCH, encodeEpochRecord(record.epoch));
}

export function decodeLogRecord(bytes: Uint8Array): LogRecord {
  const body = bytes.subarray(1);
  switch (bytes[0]) {
    case TX:
      return { kind: 'tx', tx: decodeRecord(body) };
    case EPOCH:
      return { kind: 'epoch', epoch: decodeEpochRecord(body) };
    default:
      return fail('GSW_ERR_LOG_CORRUPT', `a log record has unknown kind ${bytes[0]}`, { kind: bytes[0] });
  }
}

function tagged(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.byteLength);
  out[0] = kind;
  out.set(body, 1);
  return out;
}
