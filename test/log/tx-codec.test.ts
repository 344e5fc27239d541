/**
 * The compact tx record (kind 4): what is written reads back exactly, records of kind 1 still
 * read, and damaged bytes are refused as GSW_ERR_LOG_CORRUPT, never misread and never inflated.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../../src/db/assert.js';
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
  .map(({ tx, instantMs, datoms }) => ({
    tx,
    instantMs,
    e: datoms.map((d) => d[0]),
    a: datoms.map((d) => d[1]),
    v: datoms.map((d) => d[2]),
    added: datoms.map((d) => d[3]),
  }));

/** 300 ticks' datoms as a tick batch has them: an id, a market ref, price, volume and time. */
function tickBatch(): TxRecord {
  const record = { tx: 2 ** 50, instantMs: 1_700_000_000_000, e: [], a: [], v: [], added: [] } as {
    [K in keyof TxRecord]: TxRecord[K] extends readonly (infer T)[] ? T[] : TxRecord[K];
  };
  for (let i = 0; i < 300; i++) {
    const tick = [`t${i}`, 1024 + ((i * 7) % 50), ((i * 37) % 1000) / 1000, 1 + (i % 9), 1.7e12 + i];
    tick.forEach((v, k) => {
      record.e.push(2000 + i);
      record.a.push(1026 + k);
      record.v.push(v);
      record.added.push(true);
    });
  }
  return record;
}

function refused(bytes: Uint8Array, message?: RegExp): void {
  assert.throws(() => decodeTxRecord(bytes), { ...corrupt, ...(message && { message }) });
}

describe('the compact tx record', () => {
  it('reads back every record it writes, exactly (-0, NaN, ±Infinity, ids near 2^53)', () => {
    fc.assert(
      fc.property(txRecord, (written) => {
        assert.deepEqual(decodeTxRecord(encodeTxRecord(written)), written);
        assert.deepEqual(decodeLogRecord(encodeLogRecord({ kind: 'tx', tx: written })), {
          kind: 'tx',
          tx: written,
        });
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
    assert.deepEqual(decodeLogRecord(bytes), { kind: 'tx', tx: batch });
  });

  it('keeps reading records of kind 1, as the encoder before it wrote them', () => {
    const old = encodeRecord(tickBatch());
    const record = Uint8Array.of(1, ...old);
    assert.deepEqual(decodeLogRecord(record), { kind: 'tx', tx: tickBatch() });
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
    const one = { tx: 5, instantMs: 7, e: [1025], a: [10], v: ['x'], added: [true] };
    for (const broken of [
      { ...one, v: ['\ud800'] },
      { ...one, added: [true, false] },
      { ...one, e: [1.5] },
      { ...one, e: [-1] },
      { ...one, a: [2 ** 53] },
      { ...one, tx: 0 },
      { ...one, instantMs: 0.5 },
      { ...one, v: [undefined as unknown as string] },
    ]) {
      assert.throws(() => encodeTxRecord(broken), InvariantError, JSON.stringify(broken));
    }
  });

  it('refuses every truncation, whether compressed or not', () => {
    const small = encodeTxRecord({ tx: 5, instantMs: 7, e: [1025], a: [10], v: ['x'], added: [true] });
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
    assert.deepEqual(decodeTxRecord(withRawBytes(raw)), tickBatch());
    refused(withRawBytes(raw - 1), /decompress/);
    refused(withRawBytes(raw + 1), /decompressed where it claims/);
    refused(withRawBytes(txRawBytesMax + 1), /more than 268435456/);
    refused(withRawBytes(2 ** 52), /more than 268435456/);
    refused(Uint8Array.of(7, 0), /unknown compression 7/);
  });

  it('refuses a tag byte it does not know', () => {
    const bytes = encodeTxRecord({ tx: 5, instantMs: 7, e: [1025], a: [10], v: [true], added: [true] });
    const tagAt = bytes.findIndex((_, i) => [1, 0, 0, 0, 7].every((b, k) => bytes[i + k] === b)) + 4;
    assert.ok(tagAt > 4, 'the tags region: its length 1, then tag 7 (true, added)');
    const damaged = Uint8Array.from(bytes);
    damaged[tagAt] = 8;
    refused(damaged, /tag 8/);
  });

  it('refuses damaged bytes with GSW_ERR_LOG_CORRUPT, or reads a record of sound shape', () => {
    const small = { tx: 9, instantMs: 1, e: [3, 2 ** 52], a: [10, 10], v: ['é', -0], added: [true, false] };
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
            assert.equal(
              new Set([record.e.length, record.a.length, record.v.length, record.added.length]).size,
              1,
            );
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
