/** `gswarm query --candles` and `--as-of` with an instant, run as a user would run them. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer, tick } from '../api/harness.js';
import { gswarm } from './gswarm-process.js';

describe('gswarm query by the clock', () => {
  let h: Harness;
  let url: string;
  let firstTx: number;
  before(async () => {
    h = await startServer();
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const body = { markets: [{ id: 'M' }], ticks: [tick('a', 'M', { price: 5, ts: 1000 })] };
    firstTx = (await ingest(h.app, body)).json().tx;
    await ingest(h.app, [tick('b', 'M', { price: 8, ts: 1500 }), tick('c', 'M', { price: 6, ts: 2100 })]);
  });
  after(() => h.close());

  it('prints candles, as of now and as of an instant', async () => {
    const now = await gswarm(['query', '--url', url, '--candles', 'M', '--interval', '1s']);
    const candles = JSON.parse(now.stdout).candles;
    assert.deepEqual(
      candles.map((c: { open: number; close: number; ticks: number }) => [c.open, c.close, c.ticks]),
      [
        [5, 8, 2],
        [6, 6, 1],
      ],
    );
    const instant = new Date(h.store.conn.view.txInstant(firstTx)!).toISOString();
    const then = await gswarm([
      'query',
      '--url',
      url,
      '--candles',
      'M',
      '--interval',
      '1s',
      '--as-of',
      instant,
    ]);
    const older = JSON.parse(then.stdout);
    assert.ok(older.basis_tx >= firstTx);
    assert.equal(older.basis_instant, instant);
  });

  it('refuses a malformed instant before asking the server', async () => {
    const refused = await gswarm(['query', '--url', url, '--count', 'tick/id', '--as-of', 'noon']).catch(
      (e) => e,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ISO-8601/);
  });
});
