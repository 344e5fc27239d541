import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { compress } from 'zstd-napi';
import { type Harness, ingest, ndjson, startServer, tick } from './harness.js';

describe('POST /v2/ingest', () => {
  let h: Harness;
  before(async () => {
    h = await startServer({ limits: { bodyBytesMax: 64 * 1024, decodedBytesMax: 256 * 1024 } });
    const response = await ingest(h.app, { markets: [{ id: 'M', name: 'Main' }, { id: 'N' }] });
    assert.equal(response.statusCode, 202);
  });
  after(() => h.close());

  const ticks = () => h.store.count('tick/id').count;

  it('stores an envelope and answers 202 with the tx, once durable', async () => {
    const response = await ingest(h.app, {
      markets: [{ id: 'P' }],
      ticks: [tick('e1', 'P'), tick('e2', 'P')],
    });
    assert.equal(response.statusCode, 202);
    const body = response.json();
    assert.deepEqual({ ...body, tx: 0 }, { tx: 0, accepted: 2, duplicates: 0 });
    assert.ok(body.tx <= h.store.conn.basisTx);
    assert.equal(h.store.ticks('P', {}).length, 2);
  });

  it('accepts a bare array and NDJSON with market lines', async () => {
    assert.equal((await ingest(h.app, [tick('a1')])).statusCode, 202);
    const lines = ndjson([{ market: { id: 'Q' } }, tick('n1', 'Q'), tick('n2', 'Q')]);
    const response = await ingest(h.app, lines, { 'content-type': 'application/x-ndjson' });
    assert.equal(response.statusCode, 202);
    assert.equal(response.json().accepted, 2);
  });

  it('decodes zstd and gzip bodies', async () => {
    const body = Buffer.from(JSON.stringify([tick('z1'), tick('z2')]));
    let response = await ingest(h.app, compress(body), { 'content-encoding': 'zstd' });
    assert.equal(response.statusCode, 202);
    assert.equal(response.json().accepted, 2);
    const lines = Buffer.from(ndjson([tick('g1'), tick('g2')]));
    response = await ingest(h.app, gzipSync(lines), {
      'content-encoding': 'gzip',
      'content-type': 'application/x-ndjson; charset=utf-8',
    });
    assert.equal(response.statusCode, 202);
  });

  it('counts a re-sent identical tick as a duplicate', async () => {
    await ingest(h.app, [tick('d1')]);
    const response = await ingest(h.app, [tick('d1'), tick('d2')]);
    assert.equal(response.statusCode, 202);
    assert.deepEqual([response.json().accepted, response.json().duplicates], [1, 1]);
  });

  it('refuses a batch with bad rows, listing each, and stores none of it', async () => {
    const before = ticks();
    const response = await ingest(h.app, [
      tick('ok1'),
      tick('bad1', 'M', { price: -1 }),
      { ...tick('bad2'), extra: true },
      tick('bad3', 'M', { ts: 1.5 }),
      tick('', 'M'),
    ]);
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.code, 'GSW_ERR_INVALID_ROWS');
    assert.equal(typeof body.error, 'string');
    assert.deepEqual(
      body.rows.map((row: { index: number; field: string }) => [row.index, row.field]),
      [
        [1, 'price'],
        [2, 'extra'],
        [3, 'ts'],
        [4, 'id'],
      ],
    );
    assert.equal(ticks(), before);
  });

  it('refuses ticks of a market that does not exist, naming the rows', async () => {
    const before = ticks();
    const response = await ingest(h.app, ndjson([tick('x1'), tick('x2', 'NOPE')]), {
      'content-type': 'application/x-ndjson',
    });
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.code, 'GSW_ERR_DANGLING_REF');
    assert.deepEqual(
      body.rows.map((row: { index: number; line: number }) => [row.index, row.line]),
      [[1, 2]],
    );
    assert.equal(ticks(), before);
  });

  it('refuses a re-sent tick id with other content: 409 naming the ids', async () => {
    await ingest(h.app, [tick('c1')]);
    const before = ticks();
    const response = await ingest(h.app, [tick('c2'), tick('c1', 'M', { price: 101 })]);
    assert.equal(response.statusCode, 409);
    assert.equal(response.json().code, 'GSW_ERR_WRITE_ONCE_CONFLICT');
    assert.deepEqual(response.json().ids, ['c1']);
    assert.equal(ticks(), before);
  });

  it('answers 400 with line and column for malformed JSON and NDJSON', async () => {
    let response = await ingest(h.app, '[\n {"id": }\n]');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(
      [response.json().code, response.json().line, response.json().column],
      ['GSW_ERR_MALFORMED_BODY', 2, 9],
    );
    response = await ingest(h.app, `${JSON.stringify(tick('m1'))}\n{oops}`, {
      'content-type': 'application/x-ndjson',
    });
    assert.equal(response.statusCode, 400);
    assert.deepEqual([response.json().line, response.json().column], [2, 2]);
    response = await ingest(h.app, Buffer.from('not zstd at all'), { 'content-encoding': 'zstd' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_MALFORMED_BODY');
  });

  it('answers 413 past either body cap, a compression bomb included', async () => {
    const before = ticks();
    const big = JSON.stringify(Array.from({ length: 2000 }, (_, i) => tick(`big${i}`)));
    let response = await ingest(h.app, big);
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().code, 'GSW_ERR_BODY_TOO_LARGE');
    const bomb = compress(Buffer.from(`[${' '.repeat(64 * 1024 * 1024)}]`));
    assert.ok(bomb.length < 64 * 1024);
    response = await ingest(h.app, bomb, { 'content-encoding': 'zstd' });
    assert.equal(response.statusCode, 413);
    response = await ingest(h.app, gzipSync(Buffer.alloc(16 * 1024 * 1024, ' ')), {
      'content-encoding': 'gzip',
    });
    assert.equal(response.statusCode, 413);
    assert.equal(ticks(), before);
  });

  it('answers 415 for an unknown content type or encoding', async () => {
    let response = await ingest(h.app, 'id,market', { 'content-type': 'text/plain' });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().code, 'GSW_ERR_UNSUPPORTED_MEDIA');
    response = await ingest(h.app, [tick('u1')], { 'content-encoding': 'br' });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().code, 'GSW_ERR_UNSUPPORTED_MEDIA');
  });
});

describe('ingest backpressure', () => {
  it('answers 503 with Retry-After when the queue of batches is full, and counts it', async () => {
    const h = await startServer({ limits: { pendingBatchesMax: 0, retryAfterS: 2 } });
    try {
      const response = await ingest(h.app, { markets: [{ id: 'M' }] });
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '2');
      assert.deepEqual([response.json().code, response.json().reason], ['GSW_ERR_OVERLOADED', 'queue_full']);
      const metrics = (await h.app.inject('/metrics')).body;
      assert.match(metrics, /gswarm_ingest_rejections_total\{reason="queue_full"\} 1/);
    } finally {
      await h.close();
    }
  });

  it('answers 503 while batches wait and commits are slower than the limit', async () => {
    const h = await startServer({ persistent: true, limits: { commitLatencyMsMax: 0 } });
    try {
      assert.equal((await ingest(h.app, { markets: [{ id: 'M' }] })).statusCode, 202);
      // The first batch is in flight when the second arrives; the disk's commits took over 0 ms.
      const responses = await Promise.all([ingest(h.app, [tick('s1')]), ingest(h.app, [tick('s2')])]);
      const refused = responses.filter((response) => response.statusCode === 503);
      assert.equal(refused.length, 1);
      assert.equal(refused[0].json().reason, 'commit_latency');
      assert.ok(refused[0].headers['retry-after']);
      // With nothing in flight the disk has caught up: ingest is admitted again.
      assert.equal((await ingest(h.app, [tick('s3')])).statusCode, 202);
    } finally {
      await h.close();
    }
  });
});
