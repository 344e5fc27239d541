/**
 * `gswarm serve` under storage faults: a failed store is logged and the server exits 1 after
 * answering the request in flight (a supervisor restarts it); a second server on one data
 * directory refuses to start, naming the first one's pid.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serve } from '../../src/cli/serve.js';
import { InvariantError } from '../../src/db/assert.js';
import type { Db } from '../../src/db/db.js';
import { Swarm } from '../../src/market/swarm.js';
import { open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';
import { ingest, startServer, tick } from '../api/harness.js';
import { gswarm, startServe } from '../cli/gswarm-process.js';
import { temporaryDirs } from './support.js';

const tempDir = temporaryDirs('serve-faults');

describe('gswarm serve with a failed store', () => {
  it('answers the request in flight, then stops with exit code 1 and releases the directory', async () => {
    const data = tempDir();
    const { url, store, stopped } = await serve({
      data,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      limits: {},
    });
    const post = (body: unknown) =>
      fetch(`${url}/v2/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await post({ markets: [{ id: 'M' }] })).status, 202);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    // An invariant breaks while the next batch is applied.
    assert.ok(store instanceof Swarm);
    const db = (store.conn as unknown as { db: Db }).db;
    db.store.append = () => {
      throw new InvariantError('invariant broken: injected');
    };
    const answer = await post({ ticks: [{ id: 't', market: 'M', price: 1, volume: 1, ts: 1 }] });
    assert.equal(answer.status, 500);
    assert.equal(((await answer.json()) as { code: string }).code, 'GSW_ERR_INVARIANT');
    assert.equal(await stopped, 1);
    const reopened = await open({ storage: storage.persistent(data) });
    assert.equal(reopened.count('market/id'), 1, 'the acknowledged batch is kept');
    assert.equal(reopened.count('tick/id'), 0, 'the failed batch is not');
    await reopened.close();
  });
});

describe('the HTTP API over a failed store', () => {
  it('answers /readyz 503 and refuses every later write with the coded error', async () => {
    const server = await startServer();
    try {
      const { app, store } = server;
      assert.equal((await ingest(app, { markets: [{ id: 'M' }] })).statusCode, 202);
      assert.ok(store instanceof Swarm);
      const db = (store.conn as unknown as { db: Db }).db;
      const append = db.store.append.bind(db.store);
      db.store.append = () => {
        throw new InvariantError('invariant broken: injected');
      };
      assert.equal((await ingest(app, { ticks: [tick('t1')] })).statusCode, 500);
      db.store.append = append;
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
      const later = await ingest(app, { ticks: [tick('t2')] });
      assert.equal(later.statusCode, 500);
      assert.equal(later.json().code, 'GSW_ERR_INVARIANT');
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'still alive');
    } finally {
      await server.close();
    }
  });

  it('refuses a lone surrogate with 400 naming the attribute', async () => {
    const server = await startServer();
    try {
      // JSON's escape makes a lone surrogate in the parsed string.
      const body =
        '{"markets":[{"id":"M"}],"ticks":[{"id":"\\ud800","market":"M","price":1,"volume":1,"ts":1}]}';
      const answer = await ingest(server.app, body);
      assert.equal(answer.statusCode, 400);
      assert.equal(answer.json().code, 'GSW_ERR_VALUE_TYPE');
      assert.match(answer.json().error, /tick\/id must be well-formed Unicode/);
    } finally {
      await server.close();
    }
  });
});

describe('two servers on one data directory', () => {
  it('the second refuses to start, naming the pid of the first', async () => {
    const data = join(tempDir(), 'data');
    const first = await startServe(['--data', data]);
    try {
      await assert.rejects(gswarm(['serve', '--port', '0', '--data', data]), (error: unknown) => {
        const { code, stderr } = error as { code: number; stderr: string };
        assert.equal(code, 1);
        assert.match(stderr, new RegExp(`in use by process ${first.child.pid}`));
        return true;
      });
    } finally {
      first.child.kill('SIGTERM');
    }
    assert.equal(await first.exited, 0);
  });
});
