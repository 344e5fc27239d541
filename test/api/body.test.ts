import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { compress } from 'zstd-napi';
import { contentEncoding, decodeBody, readWire } from '../../src/api/body/decode.js';
import { jsonSyntaxErrorOffset, positionAt } from '../../src/api/body/json-syntax.js';
import { parseBatch } from '../../src/api/body/parse.js';
import { validateBatch } from '../../src/api/body/validate.js';
import { GswarmError } from '../../src/errors.js';

const limits = { bodyBytesMax: 1 << 20, decodedBytesMax: 1 << 20 };
const unbounded = { deadline: new AbortController().signal, onChunk: () => {} };
const read = async (bytes: Buffer, encoding: 'identity' | 'gzip' | 'zstd', caps = limits) =>
  decodeBody(
    await readWire(Readable.from([bytes]), caps.bodyBytesMax, unbounded),
    encoding,
    caps.decodedBytesMax,
  );
const rowsMax = 1000;

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (error: unknown) => error instanceof GswarmError && error.code === code);
}

function throwsWith(fn: () => unknown, code: string): GswarmError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof GswarmError);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('body decoding', () => {
  it('reads identity, gzip and zstd bodies', async () => {
    const text = Buffer.from('{"ticks":[]}');
    assert.deepEqual(await read(text, 'identity'), text);
    assert.deepEqual(await read(gzipSync(text), 'gzip'), text);
    assert.deepEqual(await read(compress(text), 'zstd'), text);
  });

  it('cuts a compression bomb off at the decompressed cap', async () => {
    const zeros = Buffer.alloc(64 << 20);
    const caps = { bodyBytesMax: 1 << 20, decodedBytesMax: 1 << 20 };
    await rejectsWith(read(gzipSync(zeros), 'gzip', caps), 'GSW_ERR_BODY_TOO_LARGE');
    await rejectsWith(read(compress(zeros), 'zstd', caps), 'GSW_ERR_BODY_TOO_LARGE');
  });

  it('enforces the cap on the bytes as sent', async () => {
    const caps = { bodyBytesMax: 10, decodedBytesMax: 1 << 20 };
    await rejectsWith(read(Buffer.alloc(11), 'identity', caps), 'GSW_ERR_BODY_TOO_LARGE');
    await rejectsWith(
      read(compress(Buffer.alloc(1000, 'x')), 'zstd', { ...caps, bodyBytesMax: 5 }),
      'GSW_ERR_BODY_TOO_LARGE',
    );
  });

  it('calls corrupt or truncated compressed data malformed', async () => {
    await rejectsWith(read(Buffer.from('not gzip'), 'gzip'), 'GSW_ERR_MALFORMED_BODY');
    await rejectsWith(read(Buffer.from('not zstd'), 'zstd'), 'GSW_ERR_MALFORMED_BODY');
    const frame = compress(Buffer.from('x'.repeat(1000)));
    await rejectsWith(read(frame.subarray(0, frame.length - 4), 'zstd'), 'GSW_ERR_MALFORMED_BODY');
  });

  it('names the accepted encodings and refuses others', () => {
    assert.equal(contentEncoding(undefined), 'identity');
    assert.equal(contentEncoding('GZIP'), 'gzip');
    assert.equal(contentEncoding('zstd'), 'zstd');
    throwsWith(() => contentEncoding('br'), 'GSW_ERR_UNSUPPORTED_MEDIA');
  });
});

describe('JSON syntax errors', () => {
  it('finds the offset where the grammar breaks', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['{"a":1', 6],
      ['[1,2,]', 5],
      ['{"a":1} x', 8],
      ['["\\x"]', 2],
      ['{"a" 1}', 5],
      ['{"a":\n}', 6],
    ];
    for (const [text, offset] of cases) assert.equal(jsonSyntaxErrorOffset(text), offset, text);
    assert.deepEqual(positionAt('{"a":\n}', 6), { line: 2, column: 1 });
  });

  it('agrees with JSON.parse on whether text is valid', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        assert.equal(jsonSyntaxErrorOffset(text) === -1, valid);
      }),
    );
  });

  it('survives deep nesting', () => {
    assert.equal(jsonSyntaxErrorOffset('['.repeat(200_000)), 200_000);
    assert.equal(jsonSyntaxErrorOffset(`${'['.repeat(50_000)}${']'.repeat(50_000)}`), -1);
  });
});

describe('batch parsing and validation', () => {
  const tick = (id: string, extra: object = {}) => ({
    id,
    market: 'M',
    price: 1,
    volume: 2,
    ts: 3,
    ...extra,
  });

  it('accepts an envelope, a bare array and NDJSON alike', () => {
    const expected = { markets: [{ id: 'M' }], ticks: [tick('a')] };
    assert.deepEqual(validateBatch(parseBatch(JSON.stringify(expected), 'json', rowsMax), 100), expected);
    assert.deepEqual(validateBatch(parseBatch(JSON.stringify([tick('a')]), 'json', rowsMax), 100), {
      markets: [],
      ticks: [tick('a')],
    });
    const ndjson = `${JSON.stringify({ market: { id: 'M' } })}\r\n\n${JSON.stringify(tick('a'))}`;
    assert.deepEqual(validateBatch(parseBatch(ndjson, 'ndjson', rowsMax), 100), expected);
  });

  it('lists every bad row with its field', () => {
    const body = JSON.stringify([tick('a', { price: -1 }), tick('b'), tick(''), 7, tick('c', { extra: 1 })]);
    const error = throwsWith(
      () => validateBatch(parseBatch(body, 'json', rowsMax), 100),
      'GSW_ERR_INVALID_ROWS',
    );
    const rows = error.data.rows as { index: number; field: string }[];
    assert.deepEqual(
      rows.map((row) => [row.index, row.field]),
      [
        [0, 'price'],
        [2, 'id'],
        [3, ''],
        [4, 'extra'],
      ],
    );
    assert.equal(error.data.rows_invalid, 4);
  });

  it('caps the rows listed but counts them all', () => {
    const body = JSON.stringify(Array.from({ length: 500 }, (_, i) => tick(`t${i}`, { ts: 0.5 })));
    const error = throwsWith(
      () => validateBatch(parseBatch(body, 'json', rowsMax), 100),
      'GSW_ERR_INVALID_ROWS',
    );
    assert.equal((error.data.rows as unknown[]).length, 100);
    assert.equal(error.data.rows_invalid, 500);
  });

  it('names NDJSON rows by line and market rows by a markets. field', () => {
    const ndjson = [
      JSON.stringify({ market: { id: '' } }),
      '',
      JSON.stringify(tick('a', { volume: 'x' })),
    ].join('\n');
    const error = throwsWith(
      () => validateBatch(parseBatch(ndjson, 'ndjson', rowsMax), 100),
      'GSW_ERR_INVALID_ROWS',
    );
    assert.deepEqual(
      (error.data.rows as object[]).map(
        ({ index, line, field }: { index?: number; line?: number; field?: string }) => ({
          index,
          line,
          field,
        }),
      ),
      [
        { index: 0, line: 1, field: 'markets.id' },
        { index: 2, line: 3, field: 'volume' },
      ],
    );
  });

  it('reports malformed JSON and NDJSON with line and column', () => {
    let error = throwsWith(() => parseBatch('[\n  {"id": }\n]', 'json', rowsMax), 'GSW_ERR_MALFORMED_BODY');
    assert.deepEqual([error.data.line, error.data.column], [2, 10]);
    error = throwsWith(
      () => parseBatch(`${JSON.stringify(tick('a'))}\n{"id":`, 'ndjson', rowsMax),
      'GSW_ERR_MALFORMED_BODY',
    );
    assert.deepEqual([error.data.line, error.data.column], [2, 7]);
  });

  it('refuses other JSON shapes and an empty batch', () => {
    throwsWith(() => parseBatch('{"ticks":[],"other":1}', 'json', rowsMax), 'GSW_ERR_MALFORMED_BODY');
    throwsWith(() => parseBatch('42', 'json', rowsMax), 'GSW_ERR_MALFORMED_BODY');
    throwsWith(() => validateBatch(parseBatch('[]', 'json', rowsMax), 100), 'GSW_ERR_INVALID_ROWS');
  });

  it('refuses non-finite and out-of-range numbers', () => {
    const body = `[${JSON.stringify(tick('a')).replace('"price":1', '"price":1e400')}]`;
    const error = throwsWith(
      () => validateBatch(parseBatch(body, 'json', rowsMax), 100),
      'GSW_ERR_INVALID_ROWS',
    );
    assert.equal((error.data.rows as { field: string }[])[0].field, 'price');
  });
});
