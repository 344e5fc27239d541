/** The console's static route, the timeline the as-of control ranges over, and explain. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer, tempDir, tick } from './harness.js';

describe('console, timeline and explain routes', () => {
  let h: Harness;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('gswarm-assets-');
    await mkdir(dir.path, { recursive: true });
    await writeFile(join(dir.path, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(join(dir.path, 'app.js'), 'console.log(1)');
    h = await startServer({ consoleDir: dir.path, token: 'k' });
  });
  after(async () => {
    await h.close();
    await dir.remove();
  });

  it('serves the page and its assets without the token, and nothing else', async () => {
    let response = await h.app.inject('/');
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/html/);
    response = await h.app.inject('/console/app.js');
    assert.equal(response.body, 'console.log(1)');
    assert.match(response.headers['content-type'] as string, /^text\/javascript/);
    for (const path of ['/console/index.html', '/console/missing.js', '/console/..%2Fpackage.json']) {
      response = await h.app.inject(path);
      assert.equal(response.statusCode, 404, path);
    }
  });

  it('says how to build the console when it is not built', async () => {
    const bare = await startServer({ consoleDir: join(dir.path, 'none') });
    try {
      const response = await bare.app.inject('/');
      assert.equal(response.statusCode, 200);
      assert.match(response.body, /npm run build/);
    } finally {
      await bare.close();
    }
  });

  it('gives the first and latest tx with their instants, and the plan of a query', async () => {
    const auth = { authorization: 'Bearer k' };
    const { tx } = (await ingest(h.app, { markets: [{ id: 'M' }], ticks: [tick('a', 'M')] }, auth)).json();
    let response = await h.app.inject({ url: '/v2/timeline', headers: auth });
    const timeline = response.json();
    assert.equal(timeline.basis_tx, tx);
    assert.ok(timeline.first_tx > 0 && timeline.first_tx < tx);
    assert.ok(Date.parse(timeline.first_instant) <= Date.parse(timeline.basis_instant));
    response = await h.app.inject({
      method: 'POST',
      url: '/v2/query/explain',
      headers: auth,
      payload: { query: '[:find ?id :where [?m :market/id ?id] [?t :tick/market ?m]]' },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().plan.steps.length, 2);
    assert.equal(response.json().basis_tx, tx);
  });
});
