/**
 * Authentication is decided on the matched route: percent-encoded paths and absolute-form request
 * lines reach the same handlers as the plain path, so they must meet the same check, on every route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer, tick } from '../api/harness.js';
import {
  assertAlive,
  concrete,
  percentEncoded,
  type Route,
  rawExchange,
  routesOf,
  statusOf,
} from './http.js';

const token = 's3cret';
/** Exactly these answer without the token: probes, the API description and the console's page. */
const isPublic = (path: string) =>
  path === '/healthz' ||
  path === '/readyz' ||
  path.startsWith('/docs') ||
  path === '/' ||
  path.startsWith('/console/');

describe('bearer token on every route', () => {
  let h: Harness;
  let port: number;
  let routes: Route[];
  before(async () => {
    h = await startServer({ token });
    const url = new URL(await h.app.listen({ host: '127.0.0.1', port: 0 }));
    port = Number(url.port);
    routes = routesOf(h.app);
  });
  after(() => h.close());

  const request = (route: Route, path: string) =>
    h.app.inject({
      method: route.method as 'GET',
      url: path,
      headers: { 'content-type': 'application/json' },
      ...(route.method === 'POST' ? { payload: JSON.stringify({ markets: [{ id: 'X' }] }) } : {}),
    });

  it('finds the routes it checks', () => {
    const paths = new Set(routes.map((route) => `${route.method} ${route.path}`));
    for (const expected of [
      'POST /v2/ingest',
      'DELETE /v2/reflexes/:id',
      'GET /v2/alerts/stream',
      'GET /metrics',
    ])
      assert.ok(paths.has(expected), expected);
  });

  it('refuses every non-public route without the token, by plain and percent-encoded path', async () => {
    for (const route of routes.filter((r) => !isPublic(r.path))) {
      const path = concrete(route.path);
      for (const url of [path, percentEncoded(path)]) {
        const response = await request(route, url);
        assert.equal(response.statusCode, 401, `${route.method} ${url}`);
        if (route.method !== 'HEAD')
          assert.equal(response.json().code, 'GSW_ERR_UNAUTHORIZED', `${route.method} ${url}`);
      }
    }
  });

  it('refuses every non-public route without the token in an absolute-form request line', async () => {
    for (const route of routes.filter((r) => !isPublic(r.path))) {
      const path = concrete(route.path);
      for (const target of [
        `http://127.0.0.1:${port}${path}`,
        `http://127.0.0.1:${port}${percentEncoded(path)}`,
      ]) {
        const head = `${route.method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json`;
        const response = await rawExchange(
          port,
          head,
          route.method === 'POST' ? '{"markets":[{"id":"X"}]}' : '',
        );
        assert.equal(statusOf(response), 401, `${route.method} ${target}`);
      }
    }
  });

  it('answers with the token, also through the encoded path', async () => {
    const authorization = `Bearer ${token}`;
    for (const url of ['/v2/status', '/%762/status', '/v%32/status']) {
      assert.equal((await h.app.inject({ url, headers: { authorization } })).statusCode, 200, url);
    }
  });

  it('answers 401 for paths no route has, so route names do not leak', async () => {
    for (const url of ['/v2/nothing', '/nothing', '/%762']) {
      assert.equal((await h.app.inject(url)).statusCode, 401, url);
    }
  });

  it('serves the public routes without the token', async () => {
    for (const url of ['/healthz', '/readyz', '/docs/json']) {
      assert.equal((await h.app.inject(url)).statusCode, 200, url);
    }
  });

  it('stored nothing from the refused requests and is alive', async () => {
    await assertAlive(h.app);
    assert.equal(h.store.count('market/id').count, 0);
    const stored = await ingest(
      h.app,
      { markets: [{ id: 'M' }], ticks: [tick(1)] },
      { authorization: `Bearer ${token}` },
    );
    assert.equal(stored.statusCode, 202);
    assert.equal(h.store.count('tick/id').count, 1);
  });
});

describe('/metrics and the token', () => {
  it('needs the token unless metricsPublic is set', async () => {
    const closed = await startServer({ token });
    const open = await startServer({ token, metricsPublic: true });
    try {
      assert.equal((await closed.app.inject('/metrics')).statusCode, 401);
      assert.equal((await closed.app.inject('/%6detrics')).statusCode, 401);
      const scraped = await closed.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(scraped.statusCode, 200);
      assert.equal((await open.app.inject('/metrics')).statusCode, 200);
      assert.equal((await open.app.inject('/v2/status')).statusCode, 401);
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
