import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { compress } from 'zstd-napi';
import { type BodyJob, type ColumnBatch, runBodyJob } from '../../src/api/body/body-job.js';
import { BodyPool } from '../../src/api/body/body-pool.js';
import type { ContentEncoding } from '../../src/api/body/decode.js';
import { GswarmError } from '../../src/errors.js';

const limits = { decodedBytesMax: 1 << 20, rowsMax: 50, rowErrorsMax: 5 };

type Outcome = { batch: ColumnBatch } | { code: string; message: string; data: unknown };

async function outcome(run: () => Promise<ColumnBatch>): Promise<Outcome> {
  try {
    return { batch: await run() };
  } catch (error) {
    if (!(error instanceof GswarmError)) throw error;
    return { code: error.code, message: error.message, data: error.data };
  }
}

const encoded = (text: string, encoding: ContentEncoding) => {
  const bytes = Buffer.from(text);
  return encoding === 'gzip' ? gzipSync(bytes) : encoding === 'zstd' ? compress(bytes) : bytes;
};

// Ticks that are valid or broken in the ways senders break them.
const tick = fc.record(
  {
    id: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constant(''), fc.constant(7)),
    market: fc.constantFrom('m1', 'm2', 'é', ''),
    price: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(-1), fc.constant('1')),
    volume: fc.double({ min: 0, max: 1e6, noNaN: true }),
    ts: fc.oneof(fc.nat(), fc.constant(1.5)),
    extra: fc.constant(1),
  },
  { requiredKeys: ['market', 'volume'] },
);
const market = fc.record(
  { id: fc.constantFrom('m1', 'm2', ''), name: fc.string({ maxLength: 4 }) },
  { requiredKeys: ['id'] },
);

const body = fc.oneof(
  fc
    .record({ markets: fc.array(market, { maxLength: 4 }), ticks: fc.array(tick, { maxLength: 60 }) })
    .map((batch) => ({ format: 'json' as const, text: JSON.stringify(batch) })),
  fc
    .array(tick, { maxLength: 60 })
    .map((ticks) => ({ format: 'json' as const, text: JSON.stringify(ticks) })),
  fc
    .array(
      fc.oneof(
        tick,
        market.map((m) => ({ market: m })),
      ),
      { maxLength: 60 },
    )
    .map((lines) => ({ format: 'ndjson' as const, text: lines.map((l) => JSON.stringify(l)).join('\n') })),
  fc
    .array(fc.tuple(fc.constantFrom('a', 'b', ''), fc.constantFrom('1.5', '-2', 'x'), fc.nat()), {
      maxLength: 20,
    })
    .map((rows) => ({
      format: 'csv' as const,
      text: `id,market,price,volume,ts\n${rows.map(([id, price, ts], i) => `${id}${i},m1,${price},1,${ts}`).join('\n')}`,
    })),
  fc.string({ maxLength: 40 }).map((text) => ({ format: 'json' as const, text })),
);

describe('parse workers', () => {
  const pool = new BodyPool(1, { inlineBytesMax: 0 });
  after(() => pool.close());

  it('answer every body exactly as parsing it on the event loop does', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom<ContentEncoding>('identity', 'gzip', 'zstd'),
        async (b, encoding) => {
          const job = (): BodyJob => ({
            wire: encoded(b.text, encoding),
            encoding,
            parser: { format: b.format },
            ...limits,
          });
          const inline = await outcome(async () => runBodyJob(job()));
          assert.deepEqual(await outcome(() => pool.run(job())), inline);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('parse line protocol with the clock reading and precision the request gave', async () => {
    const text = 'tick,market=m1 price=1.5,volume=2 1700000000123456789\ntick,market=m2 price=3,volume=4';
    const job: BodyJob = {
      wire: encoded(text, 'zstd'),
      encoding: 'zstd',
      parser: { format: 'line-protocol', precision: 'ns', nowMs: 42 },
      ...limits,
    };
    const batch = await pool.run(job);
    assert.deepEqual([...batch.ts], [1700000000123, 42]);
    assert.deepEqual([...batch.tickPlaces.line!], [1, 2]);
    assert.deepEqual(batch.marketIds, ['m1', 'm2']);
  });

  it('refuse a compression bomb at the decoded cap, inside the worker', async () => {
    const bomb = compress(Buffer.alloc(64 << 20, ' '));
    const refused = await outcome(() =>
      pool.run({ wire: bomb, encoding: 'zstd', parser: { format: 'json' }, ...limits }),
    );
    assert.equal((refused as { code: string }).code, 'GSW_ERR_BODY_TOO_LARGE');
  });
});

describe('a parse worker that dies', () => {
  it('takes only its own job with it; the next job gets a new worker', async () => {
    const pool = new BodyPool(1, { inlineBytesMax: 0, heapMbMax: 48 });
    try {
      const huge = `[${'{"a":[1,2]},'.repeat(4_000_000)}1]`;
      await assert.rejects(
        pool.run({
          wire: encoded(huge, 'gzip'),
          encoding: 'gzip',
          parser: { format: 'json' },
          decodedBytesMax: 1 << 30,
          rowsMax: 1 << 30,
          rowErrorsMax: 1,
        }),
        (error: Error) => !(error instanceof GswarmError) && /memory/i.test(error.message),
      );
      const tickText = JSON.stringify([{ id: 'a', market: 'm', price: 1, volume: 2, ts: 3 }]);
      const batch = await pool.run({
        wire: encoded(tickText, 'gzip'),
        encoding: 'gzip',
        parser: { format: 'json' },
        ...limits,
      });
      assert.deepEqual(batch.tickIds, ['a']);
    } finally {
      await pool.close();
    }
  });
});

describe('closing the pool', () => {
  it('refuses the jobs still waiting and any new one', async () => {
    const pool = new BodyPool(1, { inlineBytesMax: 0 });
    const job = (): BodyJob => ({
      wire: encoded('[]', 'zstd'),
      encoding: 'zstd',
      parser: { format: 'json' },
      ...limits,
    });
    const waiting = [pool.run(job()), pool.run(job()), pool.run(job())].map((p) => outcome(() => p));
    await pool.close();
    for (const result of await Promise.all(waiting))
      assert.equal((result as { code: string }).code, 'GSW_ERR_SHUTTING_DOWN');
    await assert.rejects(
      pool.run(job()),
      (error: unknown) => error instanceof GswarmError && error.code === 'GSW_ERR_SHUTTING_DOWN',
    );
  });
});
