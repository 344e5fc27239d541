/**
 * Alert bursts to SSE clients: a client that reads gets every alert of a burst larger than
 * sseQueuedAlertsMax; a client that never reads is closed once its socket is full and more than
 * sseQueuedAlertsMax alerts wait for it, and resumes by Last-Event-ID; past sseStreamsMax open
 * streams, one more is refused with 503 and Retry-After until one closes.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { serverSentEvents } from '../../src/client/sse.js';
import type { Swarm } from '../../src/market/swarm.js';
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

/**
 * Opens a stream (subscribed once its headers are in) that reads as events come; `until(n)`
 * resolves with the count of events once there are n of them, or the stream ended, or `signal`
 * aborted.
 */
async function readingStream(url: string, signal: AbortSignal, headers: Record<string, string> = {}) {
  const stop = new AbortController();
  const response = await fetch(url, { headers, signal: AbortSignal.any([stop.signal, signal]) });
  assert.equal(response.status, 200);
  let seen = 0;
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  void (async () => {
    try {
      for await (const event of serverSentEvents(response.body!.pipeThrough(new TextDecoderStream()))) {
        if (event.id !== undefined) seen++;
        wake();
      }
    } catch {
      // Aborted: the stream is over for the test either way.
    }
    ended = true;
    wake();
  })();
  return {
    get ended() {
      return ended;
    },
    until(n: number): Promise<number> {
      return new Promise((resolve) => {
        const check = () => {
          if (seen < n && !ended && !signal.aborted) return;
          waiters.delete(check);
          signal.removeEventListener('abort', check);
          resolve(seen);
        };
        waiters.add(check);
        signal.addEventListener('abort', check);
        check();
      });
    },
    close: () => stop.abort(),
  };
}

/** The store's alert subscriptions in force: an SSE feed holds one while it queues alerts. */
function alertSubscriptions(store: Swarm): Set<unknown> {
  const active = new Set<unknown>();
  const subscribe = store.onAlert.bind(store);
  store.onAlert = (listener) => {
    active.add(listener);
    const unsubscribe = subscribe(listener);
    return () => {
      active.delete(listener);
      unsubscribe();
    };
  };
  return active;
}

/** A raw connection that asks for the stream, takes its first bytes (so the feed is subscribed), then reads no more. */
async function stuckStream(port: number): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const received: Buffer[] = [];
  socket.write('GET /v2/alerts/stream HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
  const [first] = (await once(socket, 'data')) as [Buffer];
  received.push(first);
  socket.pause();
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  return { socket, received };
}

describe('SSE bursts', () => {
  it('delivers a 12,500-alert burst whole to a reading client', { timeout: 180_000 }, async () => {
    const h = await startServer();
    const deadline = AbortSignal.timeout(120_000);
    try {
      const url = `${await h.app.listen({ host: '127.0.0.1', port: 0 })}/v2/alerts/stream`;
      await withReflexes(h);
      const stream = await readingStream(url, deadline);
      const stored = await ingest(h.app, crossingBatch(2_500));
      assert.equal(stored.statusCode, 202, stored.body);
      assert.equal(await stream.until(12_500), 12_500);
      stream.close();
      await assertAlive(h.app);
      assert.equal(h.store.alerts().length, 12_500);
    } finally {
      await h.close();
    }
  });

  it('closes a client that never reads once its socket is full and more than sseQueuedAlertsMax alerts wait; a reading client keeps its stream', {
    timeout: 600_000,
  }, async () => {
    const sseQueuedAlertsMax = 1_000;
    const h = await startServer({ limits: { sseQueuedAlertsMax, sseHeartbeatMs: 3_600_000 } });
    const deadline = AbortSignal.timeout(540_000);
    const subscriptions = alertSubscriptions(h.store);
    const serverSockets: Socket[] = [];
    h.app.server.on('connection', (socket: Socket) => serverSockets.push(socket));
    let stuck: Socket | undefined;
    try {
      const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const url = `${base}/v2/alerts/stream`;
      await withReflexes(h);
      const opened = await stuckStream(Number(new URL(base).port));
      stuck = opened.socket;
      const stuckOnServer = serverSockets.find((socket) => socket.remotePort === stuck!.localPort)!;
      const stuckClosed = once(stuckOnServer, 'close', { signal: deadline });
      stuckClosed.catch(() => {}); // awaited below; a test that fails before must not leave it unhandled
      const reader = await readingStream(url, deadline);
      assert.equal(subscriptions.size, 2);

      // Bursts of 50,000 alerts (about 6 MiB of events) until the stuck client's feed lets go: the
      // loopback socket buffers take a few MiB before the server holds any. The reader takes
      // each burst whole before the next, so it is never found full while alerts arrive.
      const burstsMax = 6;
      let alerts = 0;
      for (let burst = 0; burst < burstsMax && subscriptions.size === 2; burst++) {
        const stored = await ingest(h.app, crossingBatch(10_000));
        assert.equal(stored.statusCode, 202, stored.body);
        alerts += 10_000 * reflexCount;
        assert.equal(await reader.until(alerts), alerts, 'the reader gets every alert');
      }
      assert.equal(subscriptions.size, 1, 'the stuck client is unsubscribed: no alert is queued for it');
      await stuckClosed;
      // Its client sees the stream end once it reads what the socket buffers hold.
      const stuckEnded = once(stuck, 'close', { signal: deadline });
      stuck.resume();
      await stuckEnded;

      // It resumes after the last whole event it got, and gets every alert after that.
      const ids = [
        ...Buffer.concat(opened.received)
          .toString('utf8')
          .matchAll(/id: (\d+)\ndata: [^\n]*\n\n/g),
      ];
      assert.ok(ids.length > 0 && ids.length < alerts, `${ids.length} events reached the stuck client`);
      const lastId = ids.at(-1)![1]!;
      const missed = h.store.alerts({ afterSeq: Number(lastId) }).length;
      assert.equal(missed, alerts - ids.length);
      const resumed = await readingStream(url, deadline, { 'last-event-id': lastId });
      assert.equal(await resumed.until(missed), missed);
      resumed.close();

      // The reader's stream is still open: the next alert reaches it.
      assert.equal((await ingest(h.app, crossingBatch(1))).statusCode, 202);
      assert.equal(await reader.until(alerts + reflexCount), alerts + reflexCount);
      assert.equal(reader.ended, false);
      reader.close();
      await assertAlive(h.app);
    } finally {
      stuck?.destroy();
      await h.close();
    }
  });

  it('refuses a stream past sseStreamsMax with 503 and Retry-After, and takes one again once a stream closes', async () => {
    const h = await startServer({ limits: { sseStreamsMax: 2, retryAfterS: 3 } });
    const deadline = AbortSignal.timeout(60_000);
    try {
      const url = `${await h.app.listen({ host: '127.0.0.1', port: 0 })}/v2/alerts/stream`;
      await withReflexes(h);
      const first = await readingStream(url, deadline);
      const second = await readingStream(url, deadline);
      const refused = await fetch(url, { signal: deadline });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '3');
      const body = (await refused.json()) as { code: string; error: string };
      assert.equal(body.code, 'GSW_ERR_OVERLOADED');
      assert.match(body.error, /2 alert streams are open/);
      first.close();
      // The server hears the close, then takes a stream again, which gets the next alerts.
      for (
        let third = await fetch(url, { signal: deadline });
        ;
        third = await fetch(url, { signal: deadline })
      ) {
        if (third.status === 200) {
          await third.body!.cancel();
          break;
        }
        await third.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal((await ingest(h.app, crossingBatch(1))).statusCode, 202);
      assert.equal(await second.until(reflexCount), reflexCount);
      second.close();
    } finally {
      await h.close();
    }
  });
});
