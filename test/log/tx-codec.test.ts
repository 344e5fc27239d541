/**
 * The compact tx record (kind 4): what is written reads back exactly, records of kind 1 still
 * read, and damaged bytes are refused as GSW_ERR_LOG_CORRUPT, never misread and never inflated.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../src/db/assert.js';
import { DatomColumns, type DatomRow } from '../../src/db/datom-columns.js';
import type { TxRecord } from '../../src/db/db.js';
import { GswarmError } from '../../src/errors.js';
import { decodeLogRecord, encodeLogRecord } from '../../src/log/log-record.js';
import { encodeRecord } from '../../src/log/record-codec.js';
import { decodeTxRecord, encodeTxRecord, txRawBytesMax } from '../../src/log/tx-codec.js';
import { writeUint } from '../../src/log/varint.js';

const corrupt = { code: 'GSW_ERR_LOG_CORRUPT' };
const safe = Number.MAX_SAFE_INTEGER;

const entityId = fc.oneof(
  fc.nat({ max: 5000 }),
  fc.integer({ min: safe - 1000, max: safe }),
  fc.integer({ min: 0, max: safe }),
);
const number = fc.oneof(
  fc.double(),
  fc.constantFrom(-0, 0, Number.NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 60), 5e-324, 0.1 + 0.2),
  fc.integer({ min: -safe, max: safe }),
  fc.integer({ min: -1e9, max: 1e9 }).map((x) => x / 1e6),
);
const value = fc.oneof(
  number,
  fc.boolean(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '\ufeffbom', 'é', 'e\u0301', '\ud83d\ude00', '\0'),
  fc.string({ unit: 'binary' }).filter((s) => s.isWellFormed()),
);
/** Few attributes, so numbers of one attribute mix decimals, floats and other kinds. */
const attribute = fc.oneof(fc.constantFrom(10, 11, 1030), entityId);

const txRecord: fc.Arbitrary<TxRecord> = fc
  .record({
    tx: fc.integer({ min: 1, max: safe }),
    instantMs: fc.integer({ min: 0, max: safe }),
    datoms: fc.array(fc.tuple(entityId, attribute, value, fc.boolean()), { maxLength: 120 }),
  })
  .map(({ tx, instantMs, datoms }) => ({ tx, instantMs, datoms: DatomColumns.of(datoms) }));

/** A record from its datoms as rows. */
function txOf(tx: number, instantMs: number, rows: readonly DatomRow[]): TxRecord {
  return { tx, instantMs, datoms: DatomColumns.of(rows) };
}

/** A record as plain data, for deepEqual: its datoms as rows. */
function plain(record: TxRecord): object {
  return { ...record, datoms: record.datoms.rows() };
}

/** 300 ticks' datoms as a tick batch has them: an id, a market ref, price, volume and time. */
function tickBatch(): TxRecord {
  const datoms = new DatomColumns();
  for (let i = 0; i < 300; i++) {
    const tick = [`t${i}`, 1024 + ((i * 7) % 50), ((i * 37) % 1000) / 1000, 1 + (i % 9), 1.7e12 + i];
    tick.forEach((v, k) => datoms.push(2000 + i, 1026 + k, v, true));
  }
  return { tx: 2 ** 50, instantMs: 1_700_000_000_000, datoms };
}

/** The tx record of a decoded log record, as plain data. */
function plainTx(bytes: Uint8Array, afterTx?: number): object {
  const record = decodeLogRecord(bytes, afterTx);
  assert.equal(record.kind, 'tx');
  return plain((record as { tx: TxRecord }).tx);
}

function refused(bytes: Uint8Array, message?: RegExp): void {
  assert.throws(() => decodeTxRecord(bytes), { ...corrupt, ...(message && { message }) });
}

describe('the compact tx record', () => {
  it('reads back every record it writes, exactly (-0, NaN, ±Infinity, ids near 2^53)', () => {
    fc.assert(
      fc.property(txRecord, (written) => {
        assert.deepEqual(plain(decodeTxRecord(encodeTxRecord(written))), plain(written));
        assert.deepEqual(plainTx(encodeLogRecord({ kind: 'tx', tx: written })), plain(written));
      }),
      { numRuns: 300 },
    );
  });

  it('is written as kind 4, compressed, and far smaller than kind 1', () => {
    const batch = tickBatch();
    const bytes = encodeLogRecord({ kind: 'tx', tx: batch });
    assert.equal(bytes[0], 4);
    assert.equal(bytes[1], 1, 'zstd');
    assert.ok(bytes.byteLength * 5 < encodeRecord(batch).byteLength, `${bytes.byteLength} bytes`);
    assert.deepEqual(plainTx(bytes), plain(batch));
  });

  it('keeps reading records of kind 1, as the encoder before it wrote them', () => {
    const old = encodeRecord(tickBatch());
    const record = Uint8Array.of(1, ...old);
    assert.deepEqual(plainTx(record), plain(tickBatch()));
    assert.throws(() => decodeLogRecord(record, 2 ** 50), /tx ids read from the log increase/);
  });

  it('refuses to read a record whose tx id does not follow the previous one', () => {
    const bytes = encodeTxRecord(tickBatch());
    assert.equal(decodeTxRecord(bytes, 2 ** 50 - 1).tx, 2 ** 50);
    assert.throws(() => decodeTxRecord(bytes, 2 ** 50), {
      ...corrupt,
      message: /tx ids read from the log increase/,
    });
  });

  it('refuses to write what would not read back, or breaks the shape of a record', () => {
    const one: DatomRow = [1025, 10, 'x', true];
    for (const [tx, instantMs, row] of [
      [5, 7, [1025, 10, '\ud800', true]],
      [5, 7, [1.5, 10, 'x', true]],
      [5, 7, [-1, 10, 'x', true]],
      [5, 7, [1025, 2 ** 53, 'x', true]],
      [0, 7, one],
      [5, 0.5, one],
      [5, 7, [1025, 10, undefined as unknown as string, true]],
    ] as const) {
      assert.throws(() => encodeTxRecord(txOf(tx, instantMs, [row])), InvariantError, String(row));
    }
  });

  it('refuses every truncation, whether compressed or not', () => {
    const small = encodeTxRecord(txOf(5, 7, [[1025, 10, 'x', true]]));
    assert.equal(small[0], 0, 'too small to compress');
    for (const bytes of [small, encodeTxRecord(tickBatch())]) {
      for (let length = 0; length < bytes.byteLength; length++) refused(bytes.subarray(0, length));
    }
  });

  it('refuses a raw length that disagrees with the body, and one past the limit without allocating it', () => {
    const bytes = encodeTxRecord(tickBatch());
    const withRawBytes = (rawBytes: number) => {
      const head = new Uint8Array(9);
      const end = writeUint(head, 1, rawBytes);
      head[0] = bytes[0]!;
      const oldEnd = writeUint(new Uint8Array(9), 0, decodedRawBytes(bytes));
      return Uint8Array.from([...head.subarray(0, end), ...bytes.subarray(1 + oldEnd)]);
    };
    const raw = decodedRawBytes(bytes);
    assert.deepEqual(plain(decodeTxRecord(withRawBytes(raw))), plain(tickBatch()));
    refused(withRawBytes(raw - 1), /decompress/);
    refused(withRawBytes(raw + 1), /decompressed where it claims/);
    refused(withRawBytes(txRawBytesMax + 1), /more than 268435456/);
    refused(withRawBytes(2 ** 52), /more than 268435456/);
    refused(Uint8Array.of(7, 0), /unknown compression 7/);
  });

  it('refuses a tag byte it does not know', () => {
    const bytes = encodeTxRecord(txOf(5, 7, [[1025, 10, true, true]]));
    const tagAt = bytes.findIndex((_, i) => [1, 0, 0, 0, 7].every((b, k) => bytes[i + k] === b)) + 4;
    assert.ok(tagAt > 4, 'the tags region: its length 1, then tag 7 (true, added)');
    const damaged = Uint8Array.from(bytes);
    damaged[tagAt] = 8;
    refused(damaged, /tag 8/);
  });

  it('refuses damaged bytes with GSW_ERR_LOG_CORRUPT, or reads a record of sound shape', () => {
    const small = txOf(9, 1, [
      [3, 10, 'é', true],
      [2 ** 52, 10, -0, false],
    ]);
    const records = [tickBatch(), small];
    assert.equal(encodeTxRecord(small)[0], 0, 'the small one is stored as it is: damage meets the parser');
    fc.assert(
      fc.property(
        fc.constantFrom(...records.map(encodeTxRecord)),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
        (bytes, flips) => {
          const damaged = Uint8Array.from(bytes);
          for (const [at, xor] of flips) damaged[at % damaged.length]! ^= xor;
          try {
            const record = decodeTxRecord(damaged);
            assert.deepEqual(plain(decodeTxRecord(encodeTxRecord(record))), plain(record), 'a sound record');
          } catch (error) {
            assert.ok(error instanceof GswarmError && error.code === 'GSW_ERR_LOG_CORRUPT', String(error));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** The raw length a record claims (its varint after the compression byte). */
function decodedRawBytes(bytes: Uint8Array): number {
  let x = 0;
  for (let i = 1, scale = 1; ; i++, scale *= 128) {
    x += (bytes[i]! & 0x7f) * scale;
    if (bytes[i]! < 0x80) return x;
  }
}
