import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Alert, GswarmClient, GswarmHttpError } from '../../src/client/index.js';
import { type Harness, startServer, tick } from '../api/harness.js';
import { flakyProxy } from './flaky-proxy.js';

describe('client against a real server', () => {
  let h: Harness;
  let url: string;
  before(async () => {
    h = await startServer({ token: 'tok' });
    url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => h.close());

  const client = (options: Partial<ConstructorParameters<typeof GswarmClient>[0]> = {}) =>
    new GswarmClient({ url, token: 'tok', backoffMsBase: 1, ...options });

  it('ingests with each body encoding and reads back', async () => {
    const c = client();
    const created = await c.ingest({ markets: [{ id: 'M' }] });
    assert.equal(created.accepted, 0);
    for (const encoding of ['zstd', 'gzip', 'none'] as const) {
      const result = await client({ encoding }).ingest({
        ticks: [tick(`${encoding}1`), tick(`${encoding}2`)],
      });
      assert.deepEqual([result.accepted, result.duplicates], [2, 0]);
    }
    assert.equal((await c.count('tick/id')).count, 6);
    const { basis_tx } = await c.status();
    const state = await c.asOf(basis_tx, { markets: ['M'] });
    assert.deepEqual(Object.keys(state.markets), ['M']);
    assert.equal(state.counts['tick/id'], 6);
    assert.equal((await c.ticks('M', { limit: 2 })).length, 2);
    const rows = await c.query('[:find (count ?t) :where [?t :tick/id]]');
    assert.deepEqual(rows, [[6]]);
  });

  it('manages reflexes and lists alerts', async () => {
    const c = client();
    await c.putReflex({ id: 'r', market: 'M', above: 500 });
    assert.deepEqual(
      (await c.reflexes()).map((r) => r.id),
      ['r'],
    );
    await c.ingest({ ticks: [tick('hot1', 'M', { price: 600 })] });
    assert.deepEqual(
      (await c.alerts()).map((a) => a.tick),
      ['hot1'],
    );
    await c.deleteReflex('r');
    assert.deepEqual(await c.reflexes(), []);
  });

  it('throws a GswarmHttpError with the code and details, without retrying a 4xx', async () => {
    const proxy = await flakyProxy(url, () => 'forward');
    try {
      const c = client({ url: proxy.url });
      const error = await c.ingest({ ticks: [tick('bad', 'M', { price: -1 })] }).catch((e: unknown) => e);
      assert.ok(error instanceof GswarmHttpError);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'GSW_ERR_INVALID_ROWS');
      assert.equal(error.body.rows?.[0].field, 'price');
      assert.equal(proxy.seen.length, 1);
      const unauthorized = await client({ token: 'nope' })
        .status()
        .catch((e: unknown) => e);
      assert.ok(unauthorized instanceof GswarmHttpError && unauthorized.status === 401);
    } finally {
      await proxy.close();
    }
  });

  it('retries after 503 and after dropped connections until the batch is stored', async () => {
    const proxy = await flakyProxy(url, (path, nth) =>
      path !== '/v2/ingest' || nth >= 3 ? 'forward' : nth === 1 ? 'drop' : 'unavailable',
    );
    try {
      const result = await client({ url: proxy.url }).ingest({ ticks: [tick('retried')] });
      assert.equal(result.accepted, 1);
      assert.equal(proxy.seen.filter((r) => r.path === '/v2/ingest').length, 4);
    } finally {
      await proxy.close();
    }
  });

  it('gives up after retriesMax', async () => {
    const proxy = await flakyProxy(url, () => 'unavailable');
    try {
      const error = await client({ url: proxy.url, retriesMax: 2 })
        .ingest({ ticks: [tick('never')] })
        .catch((e: unknown) => e);
      assert.ok(error instanceof GswarmHttpError && error.status === 503);
      assert.equal(proxy.seen.length, 3);
    } finally {
      await proxy.close();
    }
  });

  it('batches ticks through the batcher', async () => {
    const batcher = client().batcher({ batchTicksMax: 7, concurrencyMax: 2 });
    await batcher.addMarket({ id: 'B' });
    for (let i = 0; i < 50; i++) await batcher.add(tick(`b${i}`, 'B'));
    const totals = await batcher.flush();
    assert.equal(totals.accepted, 50);
    assert.equal((await client().ticks('B', { limit: 100 })).length, 50);
  });

  it('streams alerts and resumes after a dropped stream without gaps or repeats', async () => {
    const c = client();
    await c.ingest({ markets: [{ id: 'S' }] });
    await c.putReflex({ id: 'sse', market: 'S', above: 150 });
    const proxy = await flakyProxy(url, (path, nth) =>
      path === '/v2/alerts/stream' && nth === 0 ? 'cut-after-first-event' : 'forward',
    );
    const stop = new AbortController();
    try {
      const before = (await c.alerts()).at(-1)?.seq ?? 0;
      for (let i = 0; i < 3; i++) {
        await c.ingest({
          ticks: [tick(`s${i}up`, 'S', { price: 200 }), tick(`s${i}down`, 'S', { price: 100 })],
        });
      }
      const received: Alert[] = [];
      for await (const alert of client({ url: proxy.url }).alertStream({
        lastEventId: before,
        signal: stop.signal,
      })) {
        received.push(alert);
        if (received.length === 3) break;
      }
      assert.deepEqual(
        received.map((a) => a.tick),
        ['s0up', 's1up', 's2up'],
      );
      const streams = proxy.seen.filter((r) => r.path === '/v2/alerts/stream');
      assert.equal(streams.length, 2);
      assert.equal(streams[1].lastEventId, String(received[0].seq));
    } finally {
      stop.abort();
      await proxy.close();
    }
  });

  it('ends the alert stream when its signal aborts', async () => {
    const stop = new AbortController();
    const opened = new Promise<void>((resolve) => {
      const iterate = async () => {
        for await (const _ of client().alertStream({ signal: stop.signal, onOpen: resolve })) {
          // no alerts expected
        }
      };
      void iterate().then(() => undefined);
    });
    await opened;
    stop.abort();
  });
});
