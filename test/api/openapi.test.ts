import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer } from './harness.js';

const methods = ['get', 'post', 'put', 'delete', 'patch'];

async function operations(token?: string) {
  const h = await startServer({ token });
  try {
    const spec = (await h.app.inject('/docs/json')).json();
    return Object.entries(spec.paths as Record<string, Record<string, Record<string, unknown>>>).flatMap(
      ([path, item]) =>
        Object.entries(item)
          .filter(([method]) => methods.includes(method))
          .map(([method, operation]) => ({ path, method, operation })),
    );
  } finally {
    await h.close();
  }
}

describe('OpenAPI description', () => {
  it('gives every operation a unique operationId and tags', async () => {
    const ops = await operations();
    assert.ok(ops.length >= 14);
    const ids = ops.map(({ operation }) => operation.operationId);
    for (const { path, method, operation } of ops) {
      assert.equal(typeof operation.operationId, 'string', `${method} ${path}`);
      assert.ok((operation.tags as string[]).length > 0, `${method} ${path}`);
    }
    assert.equal(new Set(ids).size, ids.length);
    const ingest = ops.find((op) => op.path === '/v2/ingest' && op.method === 'post');
    assert.equal(ingest?.operation.operationId, 'ingest');
  });

  it('attaches the bearer scheme to the /v2 operations only, when the server has a token', async () => {
    for (const { path, method, operation } of await operations('s3cret')) {
      const expected = path.startsWith('/v2') ? [{ bearer: [] }] : [];
      assert.deepEqual(operation.security, expected, `${method} ${path}`);
    }
    for (const { operation } of await operations()) assert.deepEqual(operation.security, []);
  });

  it('describes the alert stream as text/event-stream', async () => {
    const stream = (await operations()).find((op) => op.path === '/v2/alerts/stream');
    assert.ok(stream);
    const ok = (stream.operation.responses as Record<string, { content: Record<string, unknown> }>)['200'];
    assert.deepEqual(Object.keys(ok.content), ['text/event-stream']);
  });
});
