import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { GswarmClient, GswarmConnectionError } from '../../src/client/index.js';
import { selfSignedCertificate, startServer } from '../api/harness.js';

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('connection problems', () => {
  it('a refused connection names the URL and the cause, and is not retried', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    // A retry would wait minutes: the test's hang guard catches one.
    const client = new GswarmClient({ url, backoffMsBase: 600_000, backoffMsMax: 600_000 });
    const error = await client.status().catch((e: unknown) => e);
    assert.ok(error instanceof GswarmConnectionError);
    assert.equal(error.code, 'ECONNREFUSED');
    assert.equal(error.transient, false);
    assert.equal(
      error.message,
      `cannot reach ${url}/v2/status: connection refused: is the server running, on this host and port? (ECONNREFUSED)`,
    );
  });

  it('a URL without a scheme is refused at once, saying so', () => {
    assert.throws(
      () => new GswarmClient({ url: 'localhost:7420' }),
      /"localhost:7420" is not an http:\/\/ or https:\/\/ URL/,
    );
    assert.throws(
      () => new GswarmClient({ url: '127.0.0.1:7420' }),
      /is not a URL: give the scheme too, e.g. http:\/\//,
    );
  });

  it('an untrusted certificate says so and points to --ca; with ca the private CA is trusted', async () => {
    const tls = await selfSignedCertificate();
    const h = await startServer({ tls });
    try {
      const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const error = await new GswarmClient({ url }).status().catch((e: unknown) => e);
      assert.ok(error instanceof GswarmConnectionError);
      assert.equal(error.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(error.message, /certificate is not trusted: give its CA certificate with --ca/);
      assert.equal((await new GswarmClient({ url, ca: tls.cert }).status()).role, 'leader');
    } finally {
      await h.close();
    }
  });
});
