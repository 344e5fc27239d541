/**
 * Hostile or broken requests get a status and body from docs/errors.md (`{ error, code }` with a
 * GSW_ERR_* code), never a 500, a Fastify code or Node's own body; user data never meets an
 * object's prototype.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCatalogue } from '../../src/errors.js';
import { type Harness, ingest, startServer, tick } from '../api/harness.js';
import { assertAlive, rawExchange, statusOf } from './http.js';

/** The status and body follow the catalogue: a GSW_ERR_* code whose status is the one answered. */
function assertCatalogued(status: number, body: { code?: string; error?: string }, expectedStatus: number) {
  assert.equal(status, expectedStatus, JSON.stringify(body));
  assert.ok(body.code !== undefined && body.code in errorCatalogue, `catalogued code: ${body.code}`);
  assert.equal(errorCatalogue[body.code as keyof typeof errorCatalogue].status, status);
  assert.equal(typeof body.error, 'string');
}

describe('error shapes', () => {
  let h: Harness;
  let port: number;
  let basisTx: number;
  before(async () => {
    h = await startServer();
    port = Number(new URL(await h.app.listen({ host: '127.0.0.1', port: 0 })).port);
    const stored = await ingest(h.app, {
      markets: [{ id: 'M' }, { id: '__proto__' }, { id: 'constructor' }],
      ticks: [tick(1), tick(2, '__proto__'), tick(3, 'constructor')],
    });
    basisTx = stored.json().tx;
  });
  after(() => h.close());

  it('answers 400 to JSON nested deeper than the parsers follow, and stays up', async () => {
    const depth = 200_000;
    for (const payload of [
      `{"query":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      JSON.stringify({ query: '['.repeat(depth) }),
    ]) {
      const response = await h.app.inject({
        method: 'POST',
        url: '/v2/query',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assertCatalogued(response.statusCode, response.json(), 400);
    }
    await assertAlive(h.app);
  });

  it('serves ids up to their length limit in the path, and answers 400 beyond, in the catalogue', async () => {
    const longest = 'é'.repeat(256);
    assert.equal((await ingest(h.app, { markets: [{ id: longest }] })).statusCode, 202);
    const ok = await h.app.inject(`/v2/markets/${encodeURIComponent(longest)}/ticks`);
    assert.equal(ok.statusCode, 200, ok.body);
    for (const id of ['a'.repeat(257), encodeURIComponent('é'.repeat(257)), 'a'.repeat(5000), '%E0%A4%A']) {
      const response = await h.app.inject(`/v2/markets/${id}/ticks`);
      assertCatalogued(response.statusCode, response.json(), 400);
    }
  });

  it('answers a bad Content-Length in the one error shape', async () => {
    for (const lengths of ['content-length: abc', 'content-length: 5\r\ncontent-length: 6']) {
      const head = `POST /v2/query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${lengths}`;
      const response = await rawExchange(port, head, '{}');
      assert.equal(statusOf(response), 400, response);
      const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
      assertCatalogued(400, body, 400);
    }
    await assertAlive(h.app);
  });

  it('answers 415 to text/plain on JSON routes', async () => {
    for (const url of ['/v2/query', '/v2/reflexes', '/v2/ingest']) {
      const response = await h.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'text/plain' },
        payload: '{"query":"[:find ?e :where [?e :market/id]]"}',
      });
      assertCatalogued(response.statusCode, response.json(), 415);
    }
  });

  it('refuses numbers that are not finite in query and path parameters', async () => {
    for (const url of [
      '/v2/alerts?since_tx=1e400',
      '/v2/alerts?after_seq=1e400',
      '/v2/markets/M/ticks?limit=1e400',
      '/v2/query/as_of/1e400',
      '/v2/count/tick%2Fid?as_of=1e400',
    ]) {
      const response = await h.app.inject(url);
      assertCatalogued(response.statusCode, response.json(), 400);
    }
  });

  it('answers an as-of before the schema with an empty answer', async () => {
    for (const tx of [0, 1]) {
      const response = await h.app.inject(`/v2/query/as_of/${tx}`);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json().markets, {});
      assert.deepEqual(response.json().counts, { 'tick/id': 0, 'market/id': 0 });
    }
  });

  it('lists markets named like prototype members in the as-of answer', async () => {
    const response = await h.app.inject(`/v2/query/as_of/${basisTx}`);
    assert.equal(response.statusCode, 200);
    const text = response.body;
    assert.match(text, /"__proto__":\{"price":100/);
    assert.equal(response.json().counts['market/id'], 3);
    const markets = JSON.parse(text).markets;
    assert.deepEqual(Object.keys(markets).sort(), ['M', '__proto__', 'constructor'].sort());
    const chosen = await h.app.inject('/v2/query/as_of/' + basisTx + '?market=__proto__');
    assert.deepEqual(Object.keys(chosen.json().markets), ['__proto__']);
  });
});
