/**
 * InfluxDB line protocol: a real client library (@influxdata/influxdb-client) pushing ticks,
 * precisions, escapes, the deterministic id that makes retries duplicates, a round trip, and
 * every documented refusal, each naming its line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import type { RowError } from '../../src/api/wire.js';
import { type Harness, startServer } from './harness.js';

const write = (h: Harness, body: string, query = '', url = '/api/v2/write') =>
  h.app.inject({
    method: 'POST',
    url: `${url}${query}`,
    headers: { 'content-type': 'text/plain' },
    payload: body,
  });

describe('line protocol ingest', () => {
  let h: Harness;
  let url: string;
  before(async () => {
    h = await startServer({ now: () => 1_700_000_009_000 });
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => h.close());

  it('takes ticks from the InfluxDB client library, and a retried write adds nothing', async () => {
    const points = [
      new Point('tick')
        .tag('market', 'EURUSD')
        .floatField('price', 1.1)
        .floatField('volume', 3)
        .timestamp(1000),
      new Point('tick')
        .tag('market', 'EURUSD')
        .floatField('price', 1.2)
        .intField('volume', 4)
        .timestamp(2000),
      new Point('tick')
        .tag('market', 'GBP USD')
        .stringField('id', 'g"1')
        .floatField('price', 1.3)
        .floatField('volume', 1)
        .timestamp(1500),
    ];
    for (let attempt = 0; attempt < 2; attempt++) {
      const api = new InfluxDB({ url, token: 'unused' }).getWriteApi('org', 'bucket', 'ms');
      api.writePoints(points);
      await api.close();
    }
    assert.equal(h.store.count('tick/id').count, 3);
    assert.deepEqual(
      h.store.ticks('EURUSD').map(({ price, volume, ts }) => [price, volume, ts]),
      [
        [1.1, 3, 1000],
        [1.2, 4, 2000],
      ],
    );
    assert.deepEqual(h.store.ticks('GBP USD'), [
      { id: 'g"1', market: 'GBP USD', price: 1.3, volume: 1, ts: 1500 },
    ]);
    assert.match(h.store.ticks('EURUSD')[0]!.id, /^lp-[0-9a-f]{24}$/);
  });

  it('reads every precision at both paths, and the server clock when there is no timestamp', async () => {
    const cases: [string, string, number][] = [
      ['', '1700000000123456789', 1_700_000_000_123],
      ['?precision=ns', '1700000000123456789', 1_700_000_000_123],
      ['?precision=us', '1700000000123456', 1_700_000_000_123],
      ['?precision=ms', '1700000000123', 1_700_000_000_123],
      ['?precision=s', '1700000000', 1_700_000_000_000],
    ];
    for (const [i, [query, timestamp, ms]] of cases.entries()) {
      const response = await write(h, `tick,market=P${i} price=1,volume=1 ${timestamp}\n`, query);
      assert.equal(response.statusCode, 204, query);
      assert.equal(h.store.ticks(`P${i}`)[0]!.ts, ms, query);
    }
    const v1 = await write(
      h,
      '# a comment\n\ntick,market=V1 price=2,volume=1i 5\n',
      '?db=x&precision=m',
      '/write',
    );
    assert.equal(v1.statusCode, 204);
    assert.equal(h.store.ticks('V1')[0]!.ts, 5 * 60_000);
    await write(h, 'tick,market=NOW price=2,volume=1\n');
    assert.equal(h.store.ticks('NOW')[0]!.ts, 1_700_000_009_000);
  });

  it('round-trips ticks written as line protocol', async () => {
    const ticks = [
      { id: 'r1', market: 'R,= x', price: 0.5, volume: 7, ts: 10 },
      { id: 'r "2"', market: 'R,= x', price: 1e-7, volume: 0, ts: 11 },
    ];
    const lines = ticks.map((t) =>
      new Point('tick')
        .tag('market', t.market)
        .stringField('id', t.id)
        .floatField('price', t.price)
        .floatField('volume', t.volume)
        .timestamp(t.ts)
        .toLineProtocol({ convertTime: (v: unknown) => String(v) } as never),
    );
    assert.equal((await write(h, lines.join('\n'), '?precision=ms')).statusCode, 204);
    assert.deepEqual(h.store.ticks('R,= x'), ticks);
  });

  it('refuses what is not a tick with 400, naming the line, and stores nothing', async () => {
    const before = h.store.count('tick/id').count;
    const refusals: [string, string, string, string][] = [
      [
        'tick,market=A price=1,volume=1 1\nquote,market=A price=1,volume=1 2',
        'GSW_ERR_INVALID_ROWS',
        'measurement',
        "unknown measurement 'quote'",
      ],
      ['tick,market=A price=1,volume=1,bid=2 1', 'GSW_ERR_INVALID_ROWS', 'bid', "unknown field 'bid'"],
      ['tick,market=A,venue=X price=1,volume=1 1', 'GSW_ERR_INVALID_ROWS', 'venue', "unknown tag 'venue'"],
      ['tick,market=A price="1",volume=1 1', 'GSW_ERR_INVALID_ROWS', 'price', 'must be a number'],
      ['tick,market=A price=t,volume=1 1', 'GSW_ERR_INVALID_ROWS', 'price', 'must be a number'],
      ['tick,market=A price=1,volume=1,id=5 1', 'GSW_ERR_INVALID_ROWS', 'id', 'must be a string'],
      ['tick,market=A volume=1 1', 'GSW_ERR_INVALID_ROWS', 'price', 'required'],
      ['tick price=1,volume=1 1', 'GSW_ERR_INVALID_ROWS', 'market', 'required'],
      ['tick,market=A price=-1,volume=1 1', 'GSW_ERR_INVALID_ROWS', 'price', 'greater'],
      ['tick,market=A 1', 'GSW_ERR_MALFORMED_BODY', '', "expected '='"],
      ['tick,market=A price=1,volume=1 soon', 'GSW_ERR_MALFORMED_BODY', '', 'timestamp'],
      ['tick,market=A id="open,price=1 1', 'GSW_ERR_MALFORMED_BODY', '', 'closing quote'],
      ['tick,market=A price=1x,volume=1 1', 'GSW_ERR_MALFORMED_BODY', '', "'1x' is not a number"],
    ];
    for (const [body, code, field, message] of refusals) {
      const text = `tick,market=A price=1,volume=1 1\n${body}`;
      const lastLine = text.split('\n').length;
      const response = await write(h, text, '?precision=ms');
      assert.equal(response.statusCode, 400, body);
      const reply = response.json();
      assert.equal(reply.code, code, body);
      if (code === 'GSW_ERR_INVALID_ROWS') {
        const row = reply.rows.find((r: RowError) => r.line === lastLine && r.field === field);
        assert.ok(row, `${body}: ${JSON.stringify(reply)}`);
        assert.ok(row.message.includes(message), `${body}: ${row.message}`);
      } else {
        assert.equal(reply.line, lastLine, body);
        assert.ok(reply.error.includes(message), `${body}: ${reply.error}`);
      }
    }
    const badPrecision = await write(h, 'tick,market=A price=1,volume=1 1', '?precision=d');
    assert.equal(badPrecision.statusCode, 400);
    assert.equal(badPrecision.json().code, 'GSW_ERR_BAD_REQUEST');
    assert.equal(h.store.count('tick/id').count, before);
  });
});

describe('line protocol ingest on a server with a token', () => {
  let h: Harness;
  let url: string;
  before(async () => {
    h = await startServer({ token: 's3cret' });
    url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => h.close());

  it("takes the InfluxDB client's `Token` scheme with the right token, and refuses a wrong one", async () => {
    const point = new Point('tick').tag('market', 'EURUSD').floatField('price', 1).floatField('volume', 1);
    const good = new InfluxDB({ url, token: 's3cret' }).getWriteApi('org', 'bucket', 'ms');
    good.writePoint(point.timestamp(1000));
    await good.close();
    assert.equal(h.store.count('tick/id').count, 1);

    const bad = new InfluxDB({ url, token: 'wrong', transportOptions: { maxRetries: 0 } }).getWriteApi(
      'org',
      'bucket',
      'ms',
      { maxRetries: 0 },
    );
    bad.writePoint(point.timestamp(2000));
    await assert.rejects(bad.close(), (error: { statusCode?: number }) => error.statusCode === 401);
    assert.equal(h.store.count('tick/id').count, 1);
    const anonymous = await write(h, 'tick,market=EURUSD price=1,volume=1 3000', '?precision=ms');
    assert.equal(anonymous.statusCode, 401);
    assert.equal(h.store.count('tick/id').count, 1);
  });
});
