/**
 * Slow senders: connections that send ingest headers and then a byte now and then must neither
 * hold the admission slots nor live forever. Other clients keep getting 202; the slow bodies end
 * with 408 after bodyTimeoutMs.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ingest, startServer, tick } from '../api/harness.js';
import { assertAlive, openRequests, statusOf } from './http.js';

const slowHead = (bytes: number) =>
  `POST /v2/ingest HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n\r\n[`;

const slowSenders = (app: FastifyInstance, n: number) =>
  openRequests(
    app,
    Array.from({ length: n }, () => slowHead(100_000)),
  );

async function responseOf(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('utf8');
}

describe('slow ingest bodies', () => {
  it('hold no admission slot: other batches are still accepted', async () => {
    const h = await startServer({ limits: { pendingBatchesMax: 4, bodyTimeoutMs: 60_000 } });
    const sockets: Socket[] = [];
    try {
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      assert.equal((await ingest(h.app, { markets: [{ id: 'M' }] })).statusCode, 202);
      sockets.push(...(await slowSenders(h.app, 8)));
      let acknowledged = 0;
      for (let i = 0; i < 5; i++) {
        const response = await ingest(h.app, [tick(`t${i}`)]);
        assert.equal(response.statusCode, 202, response.body);
        acknowledged += response.json().accepted;
      }
      await assertAlive(h.app);
      assert.equal(h.store.count('tick/id').count, acknowledged);
    } finally {
      for (const socket of sockets) socket.destroy();
      await h.close();
    }
  });

  it('end with 408 GSW_ERR_BODY_TIMEOUT after bodyTimeoutMs, and the connection closes', {
    timeout: 60_000,
  }, async () => {
    const h = await startServer({ limits: { bodyTimeoutMs: 200 } });
    try {
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      assert.equal((await ingest(h.app, { markets: [{ id: 'M' }], ticks: [tick(1)] })).statusCode, 202);
      const sockets = await slowSenders(h.app, 3);
      const responses = await Promise.all(sockets.map(responseOf));
      for (const response of responses) {
        assert.equal(statusOf(response), 408, response);
        assert.match(response, /"code":"GSW_ERR_BODY_TIMEOUT"/);
        assert.match(response, /bodyTimeoutMs/);
      }
      await assertAlive(h.app);
      assert.equal(h.store.count('tick/id').count, 1);
      const metrics = (await h.app.inject('/metrics')).body;
      assert.match(metrics, /gswarm_ingest_rejections_total\{reason="body_timeout"\} 3/);
    } finally {
      await h.close();
    }
  });
});
