/**
 * Caps on what one request, and all requests together, may hold: rows per ingest batch and
 * decompressed bytes in flight. A refusal names the limit; nothing of a refused batch is stored.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ingest, ndjson, startServer, tick } from '../api/harness.js';
import { assertAlive, openRequests } from './http.js';

describe('batchTicksMax', () => {
  it('refuses a batch with more rows, in every body form, with 413 naming the limit', async () => {
    const h = await startServer({ limits: { batchTicksMax: 3 } });
    try {
      assert.equal((await ingest(h.app, { markets: [{ id: 'M' }] })).statusCode, 202);
      const four = [tick(1), tick(2), tick(3), tick(4)];
      const refusals = [
        await ingest(h.app, four),
        await ingest(h.app, { markets: [{ id: 'M' }], ticks: four.slice(0, 3) }),
        await ingest(h.app, ndjson(four), { 'content-type': 'application/x-ndjson' }),
        await ingest(h.app, gzipSync(JSON.stringify(four)), { 'content-encoding': 'gzip' }),
      ];
      for (const response of refusals) {
        assert.equal(response.statusCode, 413, response.body);
        assert.equal(response.json().code, 'GSW_ERR_BODY_TOO_LARGE');
        assert.equal(response.json().limit, 'batchTicksMax');
      }
      const accepted = await ingest(h.app, four.slice(0, 3));
      assert.equal(accepted.statusCode, 202);
      await assertAlive(h.app);
      assert.equal(h.store.count('tick/id').count, 3);
    } finally {
      await h.close();
    }
  });
});

describe('decodedBytesInFlightMax', () => {
  it('counts decompressed bytes across requests: a held body makes others wait (503), then frees its share', {
    timeout: 60_000,
  }, async () => {
    const h = await startServer({
      limits: { decodedBytesInFlightMax: 1000, bodyTimeoutMs: 60_000, retryAfterS: 3 },
    });
    const sockets: Socket[] = [];
    try {
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      assert.equal((await ingest(h.app, { markets: [{ id: 'M' }] })).statusCode, 202);
      const alone = await ingest(h.app, `[${' '.repeat(1200)}]`);
      assert.equal(alone.statusCode, 503, 'one body over the cap is refused');
      assert.equal(alone.json().limit, 'decodedBytesInFlightMax');

      const small = `${JSON.stringify([tick(1)])}${' '.repeat(300)}`;
      assert.equal((await ingest(h.app, small)).statusCode, 202, 'a small body fits alone');
      // A body of which 800 bytes have arrived holds 800 of the 1000 bytes until it ends.
      const [held] = await openRequests(h.app, [
        `POST /v2/ingest HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2000\r\n\r\n[${' '.repeat(799)}`,
      ]);
      sockets.push(held!);
      let refused: Awaited<ReturnType<typeof ingest>>;
      do refused = await ingest(h.app, small);
      while (refused.statusCode === 202);
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.json().code, 'GSW_ERR_OVERLOADED');
      assert.equal(refused.json().reason, 'decoded_bytes');
      assert.equal(refused.headers['retry-after'], '3');

      held!.destroy();
      let accepted: Awaited<ReturnType<typeof ingest>>;
      do accepted = await ingest(h.app, `${JSON.stringify([tick(2)])}${' '.repeat(300)}`);
      while (accepted.statusCode === 503);
      assert.equal(accepted.statusCode, 202, accepted.body);
      await assertAlive(h.app);
      assert.equal(h.store.count('tick/id').count, 2);
    } finally {
      for (const socket of sockets) socket.destroy();
      await h.close();
    }
  });
});

describe('GET /v2/alerts pages', () => {
  it('returns at most limit alerts per page, resumes after the last seq, and refuses a limit over the max', async () => {
    const h = await startServer();
    try {
      assert.equal((await ingest(h.app, { markets: [{ id: 'M' }] })).statusCode, 202);
      const reflex = { id: 'hot', market: 'M', above: 150 };
      assert.equal(
        (await h.app.inject({ method: 'POST', url: '/v2/reflexes', payload: reflex })).statusCode,
        201,
      );
      const ticks = [];
      for (let i = 0; i < 5; i++) ticks.push(tick(`in${i}`, 'M', { price: 200 }), tick(`out${i}`, 'M'));
      assert.equal((await ingest(h.app, ticks)).statusCode, 202);
      const seqs: number[] = [];
      for (let after = 0; ; ) {
        const page = (await h.app.inject(`/v2/alerts?limit=2&after_seq=${after}`)).json().alerts;
        assert.ok(page.length <= 2);
        seqs.push(...page.map((alert: { seq: number }) => alert.seq));
        if (page.length < 2) break;
        after = page.at(-1).seq;
      }
      assert.equal(seqs.length, 5);
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
      );
      assert.equal(new Set(seqs).size, 5);
      const tooMany = await h.app.inject('/v2/alerts?limit=10001');
      assert.equal(tooMany.statusCode, 400);
      assert.equal(tooMany.json().code, 'GSW_ERR_BAD_REQUEST');
      await assertAlive(h.app);
    } finally {
      await h.close();
    }
  });
});
