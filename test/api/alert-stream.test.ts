import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Alert } from '../../src/api/wire.js';
import { serverSentEvents } from '../../src/client/sse.js';
import { type Harness, ingest, startServer, tick } from './harness.js';

/** An SSE connection; `next(n)` reads the next n events. */
async function connect(url: string, headers: Record<string, string> = {}) {
  const stop = new AbortController();
  const response = await fetch(url, {
    headers,
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(20_000)]),
  });
  const events = response.body
    ? serverSentEvents(response.body.pipeThrough(new TextDecoderStream()))
    : undefined;
  return {
    response,
    async next(n: number): Promise<{ id: string | undefined; alert: Alert }[]> {
      const out = [];
      while (out.length < n && events) {
        const { value, done } = await events.next();
        if (done) break;
        out.push({ id: value.id, alert: JSON.parse(value.data) as Alert });
      }
      return out;
    },
    close: () => stop.abort(),
  };
}

describe('GET /v2/alerts/stream', () => {
  let h: Harness;
  let url: string;
  before(async () => {
    h = await startServer();
    url = `${await h.app.listen({ host: '127.0.0.1', port: 0 })}/v2/alerts/stream`;
    await ingest(h.app, { markets: [{ id: 'M' }] });
    await h.app.inject({
      method: 'POST',
      url: '/v2/reflexes',
      payload: { id: 'hot', market: 'M', above: 150 },
    });
  });
  after(() => h.close());

  let spikes = 0;
  /** Ingests a tick that enters the band and one that leaves it: exactly one alert. */
  const spike = async () => {
    spikes++;
    const id = `spike${spikes}`;
    const { tx } = (await ingest(h.app, [tick(id, 'M', { price: 200 }), tick(`calm${spikes}`, 'M')])).json();
    return { id, tx };
  };

  it('sends one event per alert, live, with the sequence number as its id', async () => {
    const stream = await connect(url);
    try {
      assert.equal(stream.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const first = await spike();
      const second = await spike();
      const events = await stream.next(2);
      assert.deepEqual(
        events.map(({ alert }) => [alert.reflex, alert.market, alert.tick, alert.value, alert.tx]),
        [
          ['hot', 'M', first.id, 200, first.tx],
          ['hot', 'M', second.id, 200, second.tx],
        ],
      );
      for (const { id, alert } of events) {
        assert.equal(id, String(alert.seq));
        assert.ok(alert.durable_at_ms > 0);
      }
    } finally {
      stream.close();
    }
  });

  it('resumes after Last-Event-ID with the stored alerts, then live ones, without gaps or repeats', async () => {
    const stored = (await h.app.inject('/v2/alerts')).json().alerts as Alert[];
    assert.ok(stored.length >= 2);
    const stream = await connect(url, { 'last-event-id': String(stored[0].seq) });
    try {
      const replayed = await stream.next(stored.length - 1);
      assert.deepEqual(
        replayed.map(({ alert }) => alert.seq),
        stored.slice(1).map((alert) => alert.seq),
      );
      const live = await spike();
      const [next] = await stream.next(1);
      assert.equal(next.alert.tick, live.id);
    } finally {
      stream.close();
    }
    const fromStart = await connect(`${url}?last_event_id=0`);
    try {
      const all = (await h.app.inject('/v2/alerts')).json().alerts as Alert[];
      assert.deepEqual(
        (await fromStart.next(all.length)).map(({ alert }) => alert.seq),
        all.map((alert) => alert.seq),
      );
    } finally {
      fromStart.close();
    }
  });

  it('answers 400 for a Last-Event-ID that is not a sequence number', async () => {
    const response = await h.app.inject({ url: '/v2/alerts/stream', headers: { 'last-event-id': 'abc' } });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_BAD_REQUEST');
  });

  it('ends open streams when the server closes', async () => {
    const own = await startServer();
    const ownUrl = `${await own.app.listen({ host: '127.0.0.1', port: 0 })}/v2/alerts/stream`;
    const stream = await connect(ownUrl);
    await own.close();
    assert.deepEqual(await stream.next(1), []);
  });
});
