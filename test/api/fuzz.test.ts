import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { compress } from 'zstd-napi';
import { type Harness, startServer } from './harness.js';

/** Rows of every kind: good and bad ticks, ticks of unknown markets, markets, arbitrary JSON. */
const row = (run: () => number) =>
  fc.oneof(
    fc.record({
      id: fc.string({ maxLength: 12 }).map((s) => `t${run()}-${s}`),
      market: fc.constantFrom('M', 'N', 'UNKNOWN'),
      price: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(-1)),
      volume: fc.oneof(fc.nat(), fc.constant(0.5)),
      ts: fc.oneof(fc.nat(), fc.constant(1.5), fc.constant(-5)),
    }),
    fc.record({ market: fc.record({ id: fc.constantFrom('M', 'N', 'O', '') }) }),
    fc.record({ id: fc.string(), market: fc.constant('M'), extra: fc.jsonValue() }, { requiredKeys: [] }),
    fc.jsonValue(),
  );

const encodeBody = (text: string, format: string) => {
  const bytes = Buffer.from(text);
  if (format === 'gzip') return gzipSync(bytes);
  if (format === 'zstd') return compress(bytes);
  if (format === 'truncated-zstd') return compress(bytes).subarray(0, Math.max(1, bytes.length >> 1));
  return bytes;
};

describe('ingest fuzz', () => {
  let h: Harness;
  let runs = 0;
  before(async () => {
    h = await startServer({ limits: { bodyBytesMax: 16 * 1024, decodedBytesMax: 64 * 1024 } });
    await h.store.ingest({ markets: [{ id: 'M' }, { id: 'N' }] });
  });
  after(() => h.close());

  it('never fails with a 5xx and never stores part of a refused batch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          row(() => runs),
          { maxLength: 30 },
        ),
        fc.constantFrom('envelope', 'array', 'ndjson', 'garbage'),
        fc.constantFrom('none', 'gzip', 'zstd', 'truncated-zstd'),
        fc.constantFrom(undefined, 'zstd', 'gzip', 'identity', 'br', 'zstd, gzip', ''),
        fc.constantFrom(
          'application/json',
          'application/x-ndjson',
          'text/plain',
          'application/json; charset=utf-8',
        ),
        fc.string({ maxLength: 40 }),
        async (rows, shape, bodyEncoding, encodingHeader, contentType, garbage) => {
          runs++;
          const ticks = rows.filter(
            (r) => !(typeof r === 'object' && r !== null && 'market' in r && typeof r.market === 'object'),
          );
          const text =
            shape === 'envelope'
              ? JSON.stringify({
                  markets: rows
                    .filter((r) => !ticks.includes(r))
                    .map((r) => (r as { market: unknown }).market),
                  ticks,
                })
              : shape === 'array'
                ? JSON.stringify(rows)
                : shape === 'ndjson'
                  ? rows.map((r) => JSON.stringify(r)).join('\n')
                  : garbage;
          const before = { ticks: h.store.count('tick/id').count, markets: h.store.count('market/id').count };
          const headers: Record<string, string> = { 'content-type': contentType };
          if (encodingHeader !== undefined) headers['content-encoding'] = encodingHeader;
          const response = await h.app.inject({
            method: 'POST',
            url: '/v2/ingest',
            headers,
            payload: encodeBody(text, bodyEncoding),
          });
          assert.ok(response.statusCode < 500, `${response.statusCode} ${response.body}`);
          const body = response.json();
          const after = { ticks: h.store.count('tick/id').count, markets: h.store.count('market/id').count };
          if (response.statusCode === 202) {
            assert.equal(after.ticks, before.ticks + body.accepted);
          } else {
            assert.match(body.code, /^GSW_ERR_/);
            assert.equal(typeof body.error, 'string');
            assert.deepEqual(after, before);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never fails with a 5xx on arbitrary query paths and parameters', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/v2/query/as_of/',
          '/v2/count/',
          '/v2/markets/',
          '/v2/alerts?since_tx=',
          '/v2/reflexes/',
        ),
        fc.string({ maxLength: 30 }),
        fc.constantFrom('GET', 'POST', 'DELETE'),
        async (prefix, suffix, method) => {
          const response = await h.app.inject({
            method: method as 'GET',
            url: prefix + encodeURIComponent(suffix),
          });
          assert.ok(
            response.statusCode < 500,
            `${method} ${prefix}${suffix}: ${response.statusCode} ${response.body}`,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
