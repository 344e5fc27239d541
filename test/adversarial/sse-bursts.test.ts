/** Alert bursts to SSE clients: a client that reads gets every alert of a burst larger than sseQueuedAlertsMax. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverSentEvents } from '../../src/client/sse.js';
import { type Harness, ingest, startServer, tick } from '../api/harness.js';
import { assertAlive } from './http.js';

const reflexCount = 5;

/** Market M with five reflexes on one band: each tick that enters the band fires five alerts. */
async function withReflexes(h: Harness): Promise<void> {
  assert.equal((await ingest(h.app, { markets: [{ id: 'M' }] })).statusCode, 202);
  for (let r = 0; r < reflexCount; r++) {
    const created = await h.app.inject({
      method: 'POST',
      url: '/v2/reflexes',
      payload: { id: `r${r}`, market: 'M', above: 150 },
    });
    assert.equal(created.statusCode, 201);
  }
}

let nextTick = 0;
/** A batch of `crossings` ticks into the band, each followed by one out of it. */
function crossingBatch(crossings: number) {
  const ticks = [];
  for (let i = 0; i < crossings; i++) {
    ticks.push(tick(`t${nextTick++}`, 'M', { price: 200 }), tick(`t${nextTick++}`, 'M', { price: 100 }));
  }
  return ticks;
}

/** Opens a stream (subscribed once its headers are in); the result counts its next `wanted` events. */
async function countEvents(url: string, wanted: number): Promise<() => Promise<number>> {
  const stop = new AbortController();
  const response = await fetch(url, { signal: AbortSignal.any([stop.signal, AbortSignal.timeout(120_000)]) });
  return async () => {
    let seen = 0;
    for await (const event of serverSentEvents(response.body!.pipeThrough(new TextDecoderStream()))) {
      if (event.id !== undefined) seen++;
      if (seen === wanted) break;
    }
    stop.abort();
    return seen;
  };
}

describe('SSE bursts', () => {
  it('delivers a 12,500-alert burst whole to a reading client', { timeout: 180_000 }, async () => {
    const h = await startServer();
    try {
      const url = `${await h.app.listen({ host: '127.0.0.1', port: 0 })}/v2/alerts/stream`;
      await withReflexes(h);
      const count = await countEvents(url, 12_500);
      const counting = count();
      const stored = await ingest(h.app, crossingBatch(2_500));
      assert.equal(stored.statusCode, 202, stored.body);
      assert.equal(await counting, 12_500);
      await assertAlive(h.app);
      assert.equal(h.store.alerts().length, 12_500);
    } finally {
      await h.close();
    }
  });
});
