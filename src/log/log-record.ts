/**
 * A record in the log is of one kind: a tx, an epoch (leadership) record or a prune (retention)
 * record. Its first byte names the kind; the rest is that kind's codec (tx-codec.ts for txs,
 * epoch-record.ts, prune-record.ts). Txs are written as kind 4; kind 1 (record-codec.ts), the
 * format before it, is still read, so older logs replay.
 */
import type { TxRecord } from '../db/db.js';
import { fail } from '../errors.js';
import { decodeEpochRecord, type EpochRecord, encodeEpochRecord } from './epoch-record.js';
import { decodePruneRecord, encodePruneRecord, type PruneRecord } from './prune-record.js';
import { decodeRecord } from './record-codec.js';
import { decodeTxRecord, encodeTxRecord } from './tx-codec.js';

export type LogRecord =
  | { kind: 'tx'; tx: TxRecord }
  | { kind: 'epoch'; epoch: EpochRecord }
  | { kind: 'prune'; prune: PruneRecord };

const TX_MSGPACK = 1;
const EPOCH = 2;
const PRUNE = 3;
const TX = 4;

export function encodeLogRecord(record: LogRecord): Uint8Array {
  switch (record.kind) {
    case 'tx':
      return tagged(TX, encodeTxRecord(record.tx));
    case 'epoch':
      return tagged(EPOCH, encodeEpochRecord(record.epoch));
    case 'prune':
      return tagged(PRUNE, encodePruneRecord(record.prune));
  }
}

/** `afterTx`: the tx id a tx record must exceed (the previous one read), 0 for none. */
export function decodeLogRecord(bytes: Uint8Array, afterTx = 0): LogRecord {
  const body = bytes.subarray(1);
  switch (bytes[0]) {
    case TX:
      return { kind: 'tx', tx: decodeTxRecord(body, afterTx) };
    case TX_MSGPACK:
      return { kind: 'tx', tx: decodeRecord(body, afterTx) };
    case EPOCH:
      return { kind: 'epoch', epoch: decodeEpochRecord(body) };
    case PRUNE:
      return { kind: 'prune', prune: decodePruneRecord(body) };
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
