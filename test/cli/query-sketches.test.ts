/** `gswarm query --distinct` and `--hot`: the command's read, through the client, against a server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runQuery } from '../../src/cli/query.js';
import { type DistinctResponse, GswarmClient, type HotResponse } from '../../src/client/index.js';
import { type Harness, ingest, startServer, tick } from '../api/harness.js';

describe('gswarm query --distinct / --hot', () => {
  let h: Harness;
  let client: GswarmClient;
  before(async () => {
    h = await startServer();
    client = new GswarmClient({ url: await h.app.listen({ host: '127.0.0.1', port: 0 }) });
    await ingest(h.app, {
      markets: [{ id: 'X' }, { id: 'Y' }],
      ticks: [tick('x1', 'X', { ts: 1000 }), tick('x2', 'X', { ts: 2000 }), tick('y1', 'Y', { ts: 90_000 })],
    });
  });
  after(() => h.close());

  it('reads distinct markets in a window', async () => {
    const answer = (await runQuery(client, undefined, {
      distinct: 'tick/market',
      from: 0,
      to: 60_000,
    })) as DistinctResponse;
    assert.deepEqual([answer.estimate, answer.from, answer.to], [1, 0, 60_000]);
  });

  it('reads the hottest markets by ticks', async () => {
    const answer = (await runQuery(client, undefined, { hot: 'ticks', k: 1 })) as HotResponse;
    assert.deepEqual(answer.markets, [{ market: 'X', estimate: 2 }]);
    assert.equal(answer.total, 3);
  });
});
