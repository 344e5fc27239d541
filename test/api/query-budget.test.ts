/**
 * POST /v2/query under budgets: a cross product that once aborted the process (V8's array size
 * limit) ends with a coded error naming the limit, and the server keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer, tick } from './harness.js';

const ticks = 1000;
const crossProduct = {
  find: [['count', '?a']],
  where: [
    ['?a', 'tick/price', '?p'],
    ['?b', 'tick/volume', '?v'],
  ],
};

describe('query budgets over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await startServer({ limits: { queryRowsMax: 100_000 } });
    const rows = Array.from({ length: ticks }, (_, i) => tick(`t${i}`, 'M', { volume: i }));
    const response = await ingest(h.app, { markets: [{ id: 'M' }], ticks: rows });
    assert.equal(response.statusCode, 202, response.body);
  });
  after(() => h.close());

  const query = (body: unknown) =>
    h.app.inject({ method: 'POST', url: '/v2/query', payload: body as Record<string, unknown> });

  it('a cross product past queryRowsMax answers 422 GSW_ERR_QUERY_ROWS, then the server serves', async () => {
    const response = await query({ query: crossProduct });
    assert.equal(response.statusCode, 422, response.body);
    assert.equal(response.json().code, 'GSW_ERR_QUERY_ROWS');
    assert.equal(response.json().limit, 'queryRowsMax');
    assert.match(response.json().error, /queryRowsMax 100000/);
    assert.equal((await h.app.inject('/healthz')).statusCode, 200);
    const count = await query({ query: { find: [['count', '?a']], where: [['?a', 'tick/price']] } });
    assert.deepEqual(count.json().result, [[ticks]]);
  });

  it('a self-join on tick/volume is ended the same way', async () => {
    const response = await query({
      query: {
        find: [['count', '?a']],
        where: [
          ['?a', 'tick/volume', '?v'],
          ['?b', 'tick/volume', '?w'],
        ],
      },
    });
    assert.equal(response.json().code, 'GSW_ERR_QUERY_ROWS');
  });
});

describe('the time budget over HTTP', () => {
  let h: Harness;
  before(async () => {
    // No time at all: the first look at the clock, after a few thousand rows, ends the query.
    h = await startServer({ limits: { queryMsMax: 0 } });
    const rows = Array.from({ length: 200 }, (_, i) => tick(`t${i}`, 'M', { volume: i }));
    await ingest(h.app, { markets: [{ id: 'M' }], ticks: rows });
  });
  after(() => h.close());

  it('answers 503 GSW_ERR_QUERY_TIMEOUT naming queryMsMax', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v2/query',
      payload: { query: crossProduct },
    });
    assert.equal(response.statusCode, 503, response.body);
    assert.equal(response.json().code, 'GSW_ERR_QUERY_TIMEOUT');
    assert.equal(response.json().limit, 'queryMsMax');
    assert.equal((await h.app.inject('/healthz')).statusCode, 200);
  });
});
