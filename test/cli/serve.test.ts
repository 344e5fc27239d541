import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { GswarmClient } from '../../src/client/index.js';
import { tempDir, tick } from '../api/harness.js';
import { gswarm, startServe } from './gswarm-process.js';

describe('gswarm serve', () => {
  let dir: { path: string; remove: () => Promise<void> };
  before(async () => {
    dir = await tempDir('gswarm-serve-');
  });
  after(() => dir.remove());

  it('keeps every acknowledged tick through kill -9 under ingest load', async () => {
    const data = join(dir.path, 'kill');
    const first = await startServe(['--data', data]);
    const client = new GswarmClient({ url: first.url, backoffMsBase: 1, retriesMax: 1000 });
    await client.ingest({ markets: [{ id: 'K' }] });
    const acknowledged: string[] = [];
    const killed = new AbortController();
    const writer = async (w: number) => {
      for (let b = 0; !killed.signal.aborted; b++) {
        const ticks = Array.from({ length: 50 }, (_, i) => tick(`w${w}-b${b}-${i}`, 'K'));
        try {
          await client.ingest({ ticks }, killed.signal);
          acknowledged.push(...ticks.map((t) => t.id));
        } catch {
          return; // the server is gone: this batch was never acknowledged
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 2000) await new Promise((resolve) => setTimeout(resolve, 5));
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    killed.abort();
    await Promise.all(writers);

    const second = await startServe(['--data', data]);
    try {
      const restarted = new GswarmClient({ url: second.url });
      const stored = new Set((await restarted.ticks('K', { limit: 100_000 })).map((t) => t.id));
      const missing = acknowledged.filter((id) => !stored.has(id));
      assert.deepEqual(missing, []);
      assert.ok((await restarted.count('tick/id')).count >= acknowledged.length);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    }
  });

  it('drains on SIGTERM: exits 0 with what it acknowledged stored', async () => {
    const data = join(dir.path, 'drain');
    const server = await startServe([], { GSWARM_DATA: data, GSWARM_TOKEN: 't' });
    const client = new GswarmClient({ url: server.url, token: 't', retriesMax: 0 });
    await client.ingest({ markets: [{ id: 'D' }], ticks: [tick('d1', 'D')] });
    const inFlight = client.ingest({ ticks: [tick('d2', 'D')] });
    server.child.kill('SIGTERM');
    const outcome = await inFlight.then(
      () => 'acknowledged',
      () => 'refused',
    );
    assert.equal(await server.exited, 0);
    const again = await startServe(['--data', data]);
    try {
      const ids = (await new GswarmClient({ url: again.url }).ticks('D')).map((t) => t.id);
      assert.ok(ids.includes('d1'));
      if (outcome === 'acknowledged') assert.ok(ids.includes('d2'));
    } finally {
      again.child.kill('SIGINT');
      assert.equal(await again.exited, 0);
    }
  });

  it('ingests files and answers queries from the command line', async () => {
    const server = await startServe(['--data', join(dir.path, 'files')]);
    try {
      const csv = join(dir.path, 'ticks.csv');
      await writeFile(csv, 'id,market,price,volume,ts\nc1,X,1.5,2,1000\nc2,X,1.6,3,2000\nc3,Y,9,1,1500\n');
      const ndjsonFile = join(dir.path, 'ticks.ndjson');
      await writeFile(
        ndjsonFile,
        `${JSON.stringify({ market: { id: 'Z' } })}\n${JSON.stringify(tick('n1', 'Z'))}\n`,
      );
      const ingested = await gswarm(['ingest', '--url', server.url, '--create-markets', csv, ndjsonFile]);
      assert.equal(JSON.parse(ingested.stdout).accepted, 4);
      const count = await gswarm(['query', '--url', server.url, '--count', 'tick/id']);
      assert.equal(JSON.parse(count.stdout).count, 4);
      const latest = await gswarm(['query', '--url', server.url, '--latest', '--market', 'X']);
      assert.equal(JSON.parse(latest.stdout).markets.X.tick, 'c2');
      const datalog = await gswarm(['query', '--url', server.url, '[:find ?id :where [?m :market/id ?id]]']);
      assert.deepEqual(
        JSON.parse(datalog.stdout)
          .map((row: string[]) => row[0])
          .sort(),
        ['X', 'Y', 'Z'],
      );
      const refused = await gswarm(['ingest', '--url', server.url, csv.replace('.csv', '.txt')]).catch(
        (e) => e,
      );
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /cannot tell the format/);
    } finally {
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    }
  });

  it('runs through the bin launcher', async () => {
    const bin = new URL('../../bin/gswarm.js', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--version']);
    assert.equal(stdout.trim(), '2.0.0');
  });
});
