/**
 * The bytes of a prune (retention) record: from here on, the datoms of `attributes` committed
 * before tx `horizonTx` are dropped (src/db/prune.ts says which exactly). In the log, so every
 * replica prunes at the same position. A msgpack map; decoding checks every field.
 */
import { Packr } from 'msgpackr';
import { fail } from '../errors.js';

export interface PruneRecord {
  readonly horizonTx: number;
  /** Idents of the attributes whose datoms are pruned. */
  readonly attributes: readonly string[];
}

const packr = new Packr({ useRecords: false });

export function encodePruneRecord(record: PruneRecord): Uint8Array {
  checkPruneRecord(record, 'a prune record to append');
  return packr.pack({ horizonTx: record.horizonTx, attributes: record.attributes });
}

export function decodePruneRecord(bytes: Uint8Array): PruneRecord {
  const wire = packr.unpack(bytes) as Record<string, unknown>;
  const record = { horizonTx: wire.horizonTx, attributes: wire.attributes } as PruneRecord;
  checkPruneRecord(record, 'a prune record read from the log');
  return record;
}

function checkPruneRecord(record: PruneRecord, where: string): void {
  const ok =
    Number.isSafeInteger(record.horizonTx) &&
    record.horizonTx > 0 &&
    Array.isArray(record.attributes) &&
    record.attributes.length > 0 &&
    record.attributes.every((a) => typeof a === 'string' && a.length > 0);
  if (!ok) {
    fail('GSW_ERR_LOG_CORRUPT', `${where} is malformed: ${JSON.stringify(record)}`, {
      where,
      rule: 'horizonTx a positive safe integer, attributes a non-empty list of idents',
    });
  }
}
