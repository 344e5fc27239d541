/**
 * The bytes of an epoch (leadership) record: node `node` leads shard `shard` from epoch `epoch`
 * on. A msgpack map; decoding checks every field, since a wrong epoch record is a wrong leader.
 */
import { Packr } from 'msgpackr';
import { fail } from '../errors.js';

export interface EpochRecord {
  /** Increases by one with each leader of the shard; the first leader has epoch 1. */
  readonly epoch: number;
  /** The node id of the leader. */
  readonly node: string;
  readonly shard: number;
}

const packr = new Packr({ useRecords: false });

export function encodeEpochRecord(record: EpochRecord): Uint8Array {
  checkEpochRecord(record, 'an epoch record to append');
  return packr.pack({ epoch: record.epoch, node: record.node, shard: record.shard });
}

export function decodeEpochRecord(bytes: Uint8Array): EpochRecord {
  const wire = packr.unpack(bytes) as Record<string, unknown>;
  const record = { epoch: wire.epoch, node: wire.node, shard: wire.shard } as EpochRecord;
  checkEpochRecord(record, 'an epoch record read from the log');
  return record;
}

function checkEpochRecord(record: EpochRecord, where: string): void {
  const ok =
    Number.isSafeInteger(record.epoch) &&
    record.epoch >= 1 &&
    typeof record.node === 'string' &&
    record.node.length > 0 &&
    Number.isSafeInteger(record.shard) &&
    record.shard >= 0;
  if (!ok) {
    fail('GSW_ERR_LOG_CORRUPT', `${where} is malformed: ${JSON.stringify(record)}`, {
      where,
      rule: 'epoch ≥ 1, node a non-empty string, shard ≥ 0',
    });
  }
}
