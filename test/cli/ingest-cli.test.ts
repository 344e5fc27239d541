/** `gswarm` as a user meets it: backpressure, refusals, connection problems, flags and help. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GswarmClient } from '../../src/client/index.js';
import { startServer, tempDir, tick } from '../api/harness.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Runs gswarm to its end, whatever its exit code. */
function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A stand-in server: `answer` decides each ingest request's reply from its batch number and body. */
async function fakeServer(answer: (nth: number, body: { ticks?: unknown[] }, res: ServerResponse) => void) {
  let nth = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => answer(nth++, JSON.parse(text || '{}'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Ingests the test file one batch of `batchTicks` at a time, as plain JSON. */
const ingestArgs = (url: string, batchTicks: number) => [
  '--url',
  url,
  '--encoding',
  'none',
  '--batch-ticks',
  String(batchTicks),
  '--concurrency',
  '1',
];

const reply = (res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('gswarm ingest', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let file: string;
  before(async () => {
    dir = await tempDir('gswarm-cli-');
    file = join(dir.path, 'ticks.ndjson');
    await writeFile(file, Array.from({ length: 10 }, (_, i) => JSON.stringify(tick(i))).join('\n'));
  });
  after(() => dir.remove());

  it('waits out every 503 (Retry-After) and retries the same batch until all is stored', async () => {
    const stored = new Set<string>();
    const server = await fakeServer((nth, body, res) => {
      // Twelve refusals: more than the client's retries after network failures.
      if (nth < 12)
        return reply(res, 503, { error: 'busy', code: 'GSW_ERR_OVERLOADED' }, { 'retry-after': '0' });
      for (const t of body.ticks as { id: string }[]) stored.add(t.id);
      reply(res, 202, { tx: nth, accepted: body.ticks?.length ?? 0, duplicates: 0 });
    });
    try {
      const args = ['ingest', file, ...ingestArgs(server.url, 4)];
      const { code, stdout, stderr } = await run(args);
      assert.equal(code, 0, stderr);
      assert.deepEqual(JSON.parse(stdout), { batches: 3, accepted: 10, duplicates: 0, lastTx: 14 });
      assert.equal(stored.size, 10);
    } finally {
      await server.close();
    }
  });

  it("prints the server's per-row reasons, capped, and how much was stored before it stopped", async () => {
    const server = await fakeServer((nth, body, res) => {
      if (nth < 2) return reply(res, 202, { tx: nth + 1, accepted: body.ticks?.length ?? 0, duplicates: 0 });
      const rows = Array.from({ length: 13 }, (_, i) => ({ index: i, field: 'price', message: `bad ${i}` }));
      reply(res, 400, {
        error: '13 rows are invalid; nothing was stored',
        code: 'GSW_ERR_INVALID_ROWS',
        rows,
      });
    });
    try {
      const args = ['ingest', file, ...ingestArgs(server.url, 3)];
      const { code, stderr } = await run(args);
      assert.equal(code, 1);
      const lines = stderr
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('ticks '));
      assert.equal(lines[0], 'gswarm: 400 GSW_ERR_INVALID_ROWS: 13 rows are invalid; nothing was stored');
      assert.equal(lines[1], '  batch row 0 price: bad 0');
      assert.equal(lines[10], '  batch row 9 price: bad 9');
      assert.equal(lines[11], '  ... and 3 more');
      assert.match(
        lines[12],
        /^stopped: 6 new tick\(s\) and 0 already stored were acknowledged \(2 batch\(es\)\)/,
      );
      assert.match(lines[12], /running the same command again completes it/);
    } finally {
      await server.close();
    }
  });

  it('refuses a CSV with an empty field naming file, line and column, before sending it', async () => {
    const csv = join(dir.path, 'bad.csv');
    await writeFile(csv, 'id,market,price,volume,ts\nt1,M,,,\n');
    const { code, stderr } = await run(['ingest', csv, '--url', 'http://127.0.0.1:9']);
    assert.equal(code, 1);
    assert.match(stderr, /bad\.csv: line 2, column 3 \(price\): is empty/);
    assert.match(stderr, /stopped: 0 new tick\(s\)/);
  });

  it('names the URL and the cause of a refused connection', async () => {
    const server = await fakeServer(() => undefined);
    await server.close();
    const { code, stderr } = await run(['query', '--count', 'tick/id', '--url', server.url]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`cannot reach ${server.url}/v2/count/tick%2Fid: connection refused.*\\(ECONNREFUSED\\)`),
    );
  });

  it('validates every numeric flag, naming it', async () => {
    for (const args of [
      ['ingest', file, '--concurrency', '0'],
      ['ingest', file, '--batch-ticks', '0'],
      ['bench', '--markets', '0'],
      ['bench', '--ticks', '0'],
      ['simulate', '--markets', '2', '--rate', '1.5'],
    ]) {
      const { code, stderr } = await run(args);
      assert.equal(code, 1, args.join(' '));
      assert.match(
        stderr,
        new RegExp(`option '${args.at(-2)} <n>' argument '${args.at(-1)}' is invalid`),
        args.join(' '),
      );
    }
    const notArray = await run(['query', '[:find ?e :in $ ?x :where [?e :tick/id ?x]]', '--args', '{"x":1}']);
    assert.match(notArray.stderr, /--args must be a JSON array/);
    const few = await run(['bench', '--ticks', '3', '--markets', '5']);
    assert.match(few.stderr, /--ticks \(3\) must be at least --markets \(5\)/);
  });

  it('documents the CSV columns and marks required options in --help', async () => {
    assert.match(
      (await run(['ingest', '--help'])).stdout,
      /header naming the columns id, market, price, volume and ts/,
    );
    assert.match((await run(['simulate', '--help'])).stdout, /--rate <n>\s+ticks per second \(required\)/);
    assert.match((await run(['ingest', '--help'])).stdout, /--ca <file>/);
  });
});

describe('gswarm query and bench against a server', () => {
  it('query --ticks of an unknown market fails with a 404 naming it', async () => {
    const h = await startServer();
    try {
      const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const { code, stderr } = await run(['query', '--ticks', 'NOPE', '--url', url]);
      assert.equal(code, 1);
      assert.match(stderr, /404 GSW_ERR_NOT_FOUND: no market "NOPE"/);
    } finally {
      await h.close();
    }
  });

  it('bench against a named server deletes its reflexes afterwards and shows progress', async () => {
    const h = await startServer();
    try {
      const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const { code, stdout, stderr } = await run(['bench', '--url', url, '--ticks', '20', '--markets', '2']);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /alerts\s+2 received, 2 of 2 expected/);
      assert.match(stderr, /bench: ticks 20 /);
      assert.match(stderr, /bench: deleting the reflexes/);
      assert.deepEqual(await new GswarmClient({ url }).reflexes(), []);
    } finally {
      await h.close();
    }
  });
});
