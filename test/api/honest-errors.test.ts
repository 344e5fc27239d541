/** Refusals that name what was wrong and how to fix it; one clock for an alert's durable time. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildServer } from '../../src/api/index.js';
import { storage } from '../../src/index.js';
import { Swarm } from '../../src/market/swarm.js';
import { type Harness, ingest, startServer, tick } from './harness.js';

describe('errors that say what to do', () => {
  let h: Harness;
  before(async () => {
    h = await startServer();
    await ingest(h.app, { markets: [{ id: 'M' }], ticks: [tick(1)] });
  });
  after(() => h.close());

  it('a tick naming a missing market names the markets (capped) and how to declare them', async () => {
    const ticks = Array.from({ length: 30 }, (_, i) => tick(`d${i}`, `NOPE${i % 12}`));
    const response = await ingest(h.app, { ticks });
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.code, 'GSW_ERR_DANGLING_REF');
    assert.match(body.error, /30 tick\(s\) name 12 market\(s\) that do not exist: "NOPE0", "NOPE1"/);
    assert.match(body.error, /and 2 more/);
    assert.match(body.error, /--create-markets/);
    assert.equal(body.markets.length, 10);
    assert.equal(body.markets_missing, 12);
  });

  it("an unknown market's ticks are a 404 naming the market, not an empty list", async () => {
    const response = await h.app.inject('/v2/markets/NOPE/ticks');
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'GSW_ERR_NOT_FOUND');
    assert.match(response.json().error, /no market "NOPE"/);
  });

  it('counting an attribute as of a tx before it was declared says so', async () => {
    const response = await h.app.inject('/v2/count/tick%2Fid?as_of=1');
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_UNKNOWN_ATTRIBUTE');
    assert.match(response.json().error, /"tick\/id" did not exist yet as of tx /);
    const unknown = await h.app.inject('/v2/count/tick%2Fnope');
    assert.match(unknown.json().error, /unknown attribute "tick\/nope"/);
  });

  it('an unknown body property is named, with where it is', async () => {
    let response = await h.app.inject({
      method: 'POST',
      url: '/v2/reflexes',
      payload: { id: 'r', market: 'M', above: 1, abuve: 2 },
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'GSW_ERR_BAD_REQUEST');
    assert.match(response.json().error, /body has an unknown property "abuve"/);
    response = await h.app.inject({ method: 'POST', url: '/v2/query', payload: { query: [], as_off: 1 } });
    assert.match(response.json().error, /body has an unknown property "as_off"/);
    response = await h.app.inject('/v2/alerts?since=1');
    assert.match(response.json().error, /querystring has an unknown property "since"/);
  });
});

describe('alert durable time', () => {
  it('comes from the injected clock, one value on the live feed and in the stored alert', async () => {
    let nowMs = 1_000_000;
    const given: number[] = [];
    const clock = {
      nowMs: () => {
        nowMs += 1000;
        given.push(nowMs);
        return nowMs;
      },
    };
    const store = await Swarm.open({ storage: storage.memory(), clock });
    const app = await buildServer({ store, now: () => nowMs });
    try {
      await store.ingest({ markets: [{ id: 'M' }] });
      await store.putReflex({ id: 'spike', market: 'M', above: 150 });
      const live: number[] = [];
      store.onAlert((alert) => live.push(alert.durableAtMs));
      await store.ingest({ ticks: [{ id: 't', market: 'M', price: 200, volume: 1, ts: 1 }] });
      const stored = (await app.inject('/v2/alerts')).json().alerts;
      assert.equal(stored.length, 1);
      assert.deepEqual(live, [stored[0].durable_at_ms]);
      assert.ok(given.includes(stored[0].durable_at_ms), 'a value of the injected clock, not the wall clock');
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('ingest envelope', () => {
  it('names an unknown top-level property of a JSON ingest body', async () => {
    const h = await startServer();
    try {
      const response = await ingest(h.app, { markets: [], tickz: [] });
      assert.equal(response.statusCode, 400);
      assert.match(response.json().error, /body\.tickz is an unknown property/);
    } finally {
      await h.close();
    }
  });
});
