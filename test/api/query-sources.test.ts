/** POST /v2/query over named sources, each as of its own tx: the time-travel join over HTTP. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer, tick } from './harness.js';

describe('POST /v2/query with sources', () => {
  let h: Harness;
  let openTx: number;
  before(async () => {
    h = await startServer();
    const first = await ingest(h.app, {
      markets: [{ id: 'A' }, { id: 'B' }],
      ticks: [tick('a1', 'A', { price: 10, ts: 1000 }), tick('b1', 'B', { price: 20, ts: 1000 })],
    });
    openTx = first.json().tx;
    await ingest(h.app, [tick('a2', 'A', { price: 11, ts: 2000 })]);
  });
  after(() => h.close());

  const post = (payload: Record<string, unknown>) =>
    h.app.inject({ method: 'POST', url: '/v2/query', payload });

  it('finds the markets with ticks since the open, in one query over two points in time', async () => {
    const moved = await post({
      query: {
        find: ['?m'],
        in: ['$then', '$now'],
        where: [
          ['$now', '?t', 'tick/market', '?mk'],
          ['not', ['$then', '?t', 'tick/id']],
          ['$now', '?mk', 'market/id', '?m'],
        ],
      },
      sources: { $then: { as_of: openTx }, $now: {} },
    });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.deepEqual(moved.json().result, [['A']]);
  });

  it('refuses a source name that is not a $ symbol, and an undeclared source', async () => {
    const bad = await post({ query: { find: ['?e'], where: [['?e', 'market/id']] }, sources: { open: {} } });
    assert.equal(bad.statusCode, 400);
    const undeclared = await post({
      query: { find: ['?e'], where: [['$then', '?e', 'market/id']] },
      sources: { $now: {} },
    });
    assert.equal(undeclared.statusCode, 400);
    assert.match(undeclared.json().error, /unknown source \$then/);
  });
});
