/** Entry framing and record kinds: what is written reads back; what is not an entry or record is refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatomColumns } from '../../src/db/datom-columns.js';
import type { TxRecord } from '../../src/db/db.js';
import { decodeEntry, encodeEntry, entryBytes, recordsFitting } from '../../src/log/entry-codec.js';
import { decodeLogRecord, encodeLogRecord } from '../../src/log/log-record.js';

const corrupt = { code: 'GSW_ERR_LOG_CORRUPT' };

describe('log entries', () => {
  it('read back the records written, as many bytes as entryBytes says', () => {
    const records = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(9)];
    const entry = encodeEntry(records);
    assert.equal(entry.byteLength, entryBytes(records));
    assert.deepEqual(
      decodeEntry(entry, 'entry 1').map((r) => [...r]),
      records.map((r) => [...r]),
    );
    assert.deepEqual(decodeEntry(encodeEntry([]), 'entry 2'), []);
  });

  it('refuse bytes that are not an entry, naming it', () => {
    const entry = encodeEntry([Uint8Array.of(1, 2, 3)]);
    assert.throws(() => decodeEntry(Uint8Array.of(0x85, 1, 2), 'log entry 7'), {
      ...corrupt,
      message: 'log entry 7 is not a log entry of format 2',
    });
    assert.throws(() => decodeEntry(entry.subarray(0, entry.byteLength - 1), 'log entry 8'), {
      ...corrupt,
      message: 'log entry 8 fails its checksum: its bytes were damaged',
    });
    assert.throws(() => decodeEntry(Uint8Array.from([...entry, 0]), 'e'), corrupt);
  });

  it('refuse an entry with any one bit flipped', () => {
    const entry = encodeEntry([Uint8Array.of(1, 2, 3), Uint8Array.of(200, 201)]);
    for (let bit = 0; bit < entry.byteLength * 8; bit++) {
      const damaged = entry.slice();
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      assert.throws(() => decodeEntry(damaged, 'log entry 9'), corrupt, `bit ${bit}`);
    }
  });

  it('read format 1 (no checksum), and refuse one cut short', () => {
    // Format 1: the format byte, the record count, then each record's length and bytes.
    const entry = Uint8Array.of(1, 2, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3, 1, 0, 0, 0, 9);
    assert.deepEqual(
      decodeEntry(entry, 'log entry 10').map((r) => [...r]),
      [[1, 2, 3], [9]],
    );
    assert.throws(() => decodeEntry(entry.subarray(0, entry.byteLength - 1), 'log entry 11'), {
      ...corrupt,
      message: 'log entry 11 is cut short in record 2 of 2',
    });
  });

  it('recordsFitting takes the longest prefix within the limit, and at least one', () => {
    const r = (n: number) => new Uint8Array(n);
    const overhead = entryBytes([]);
    assert.equal(recordsFitting([r(10), r(10), r(10)], overhead + 2 * 14), 2);
    assert.equal(recordsFitting([undefined, r(10), undefined], overhead + 14), 3, 'no-op txs take no bytes');
    assert.equal(recordsFitting([r(100), r(1)], 50), 1, 'an oversized record alone');
    assert.equal(recordsFitting([], 50), 0);
  });
});

describe('log records', () => {
  it('dispatch on their kind', () => {
    const tx = { tx: 1025, instantMs: 1, datoms: DatomColumns.of([[1024, 10, 'x', true]]) };
    const read = decodeLogRecord(encodeLogRecord({ kind: 'tx', tx }));
    assert.equal(read.kind, 'tx');
    const { datoms, ...rest } = (read as { tx: TxRecord }).tx;
    assert.deepEqual(
      { ...rest, datoms: datoms.rows() },
      { tx: 1025, instantMs: 1, datoms: [[1024, 10, 'x', true]] },
    );
    const epoch = { epoch: 3, node: 'n2', shard: 5 };
    assert.deepEqual(decodeLogRecord(encodeLogRecord({ kind: 'epoch', epoch })), { kind: 'epoch', epoch });
  });

  it('refuse an unknown kind and a malformed epoch record', () => {
    assert.throws(() => decodeLogRecord(Uint8Array.of(9, 0)), {
      ...corrupt,
      message: 'a log record has unknown kind 9',
    });
    for (const epoch of [
      { epoch: 0, node: 'n', shard: 0 },
      { epoch: 1, node: '', shard: 0 },
      { epoch: 1, node: 'n', shard: -1 },
      { epoch: 1.5, node: 'n', shard: 0 },
    ]) {
      assert.throws(() => encodeLogRecord({ kind: 'epoch', epoch }), corrupt, JSON.stringify(epoch));
    }
  });
});
