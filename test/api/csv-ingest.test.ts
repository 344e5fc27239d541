import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, ingest, startServer } from './harness.js';

const csv = { 'content-type': 'text/csv' };
const header = 'id,market,price,volume,ts\n';

describe('POST /v2/ingest with text/csv', () => {
  let h: Harness;
  before(async () => {
    h = await startServer();
    await ingest(h.app, { markets: [{ id: 'M' }, { id: 'M,2' }] });
  });
  after(() => h.close());
  const count = async () => (await h.app.inject('/v2/count/tick%2Fid')).json().count;

  it('stores the ticks of a CSV body with a header, quoted fields and ISO-8601 times', async () => {
    const body = `ts,id,market,volume,price\r\n2026-11-30T06:48:50Z,c1,M,2,1.5\r\n17,c2,"M,2",3,0.25\r\n`;
    const response = await ingest(h.app, body, csv);
    assert.equal(response.statusCode, 202);
    assert.equal(response.json().accepted, 2);
    const ticks = (await h.app.inject('/v2/markets/M/ticks')).json().ticks;
    assert.deepEqual(ticks, [
      { id: 'c1', market: 'M', price: 1.5, volume: 2, ts: Date.parse('2026-11-30T06:48:50Z') },
    ]);
  });

  it('refuses empty or unparsable fields naming line and column, and stores nothing', async () => {
    const before = await count();
    const response = await ingest(h.app, `${header}ok,M,1,1,1\nx1,M,,,\nx2,M,1,lots,5\n`, csv);
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.code, 'GSW_ERR_INVALID_ROWS');
    assert.match(body.error, /2 CSV rows are invalid \(first: line 3, column 3 \(price\): is empty\)/);
    assert.deepEqual(
      body.rows.map((r: { line: number; column: number; field: string }) => [r.line, r.column, r.field]),
      [
        [3, 3, 'price'],
        [3, 4, 'volume'],
        [3, 5, 'ts'],
        [4, 4, 'volume'],
      ],
    );
    assert.equal(await count(), before);
  });

  it('refuses a malformed CSV body or header with 400 naming line and column', async () => {
    let response = await ingest(h.app, `${header}q1,"M,1,1,1\n`, csv);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_MALFORMED_BODY');
    assert.deepEqual([response.json().line, response.json().column], [2, 2]);
    response = await ingest(h.app, 'id,market,price,volume\nq1,M,1,1\n', csv);
    assert.equal(response.json().code, 'GSW_ERR_MALFORMED_BODY');
    assert.match(response.json().error, /line 1: the header lacks the column\(s\) ts/);
  });

  it('places schema errors (an over-long id) by line', async () => {
    const response = await ingest(h.app, `${header}${'x'.repeat(300)},M,1,1,1\n`, csv);
    assert.equal(response.statusCode, 400);
    assert.deepEqual(
      response.json().rows.map((r: { line: number; field: string }) => [r.line, r.field]),
      [[2, 'id']],
    );
  });
});
