/**
 * `gswarm export` and `gswarm backup`, run as a user would: an export as of a past tx, re-ingested
 * into an empty store, answers as the source did as of that tx (NDJSON with markets and names;
 * CSV with ticks); a backup taken while ingest goes on opens and answers as the source did as of
 * the copy's basis.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildServer } from '../../src/api/index.js';
import { Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';
import { type Harness, startServer, tempDir, tick } from '../api/harness.js';
import { gswarm } from './gswarm-process.js';

const namesQuery = '[:find ?id ?n :where [?m :market/id ?id] [?m :market/name ?n]]';

/** What a store answers about its ticks as of `asOf`, without the tx ids (a re-ingest has its own). */
function answers(store: Swarm, asOf?: number) {
  const { counts, markets } = store.latest({ asOf });
  const latest = Object.fromEntries(Object.entries(markets).map(([id, { tx: _tx, ...t }]) => [id, t]));
  const ticks = Object.fromEntries(Object.keys(markets).map((id) => [id, store.ticks(id, { asOf })]));
  return { ticks: counts['tick/id'], latest, series: ticks };
}

describe('gswarm export', () => {
  let source: Harness;
  let url: string;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let pastTx: number;
  before(async () => {
    dir = await tempDir('gswarm-export-');
    source = await startServer();
    url = await source.app.listen({ port: 0, host: '127.0.0.1' });
    await source.store.ingest({
      markets: [{ id: 'A', name: 'Alpha, "the first"' }, { id: 'B' }, { id: 'EMPTY', name: 'none yet' }],
      ticks: [tick('a1', 'A', { price: 1.5, ts: 1000 }), tick('b1', 'B', { price: 7, ts: 900 })],
    });
    pastTx = (
      await source.store.ingest({
        ticks: [
          tick('a2', 'A', { price: 1.25, ts: 1000 }),
          tick('a0', 'A', { price: 3, volume: 0.5, ts: 10 }),
        ],
      })
    ).tx;
    await source.store.ingest({ ticks: [tick('a3', 'A', { price: 99, ts: 5000 })] });
  });
  after(async () => {
    await source.close();
    await dir.remove();
  });

  for (const format of ['ndjson', 'csv'] as const) {
    it(`round-trips as ${format}: the re-ingested store answers as the source did as of the tx`, async () => {
      const exported = await gswarm(['export', '--url', url, '--as-of', String(pastTx), '--format', format]);
      const file = join(dir.path, `export.${format}`);
      await writeFile(file, exported.stdout);
      const target = await startServer();
      try {
        const targetUrl = await target.app.listen({ port: 0, host: '127.0.0.1' });
        await gswarm(['ingest', '--url', targetUrl, ...(format === 'csv' ? ['--create-markets'] : []), file]);
        assert.deepEqual(answers(target.store), answers(source.store, pastTx));
        assert.equal(answers(target.store).ticks, 4);
        if (format === 'ndjson') {
          assert.deepEqual(
            (target.store.query(namesQuery) as string[][]).sort(),
            (source.store.query(namesQuery, [], pastTx) as string[][]).sort(),
          );
        }
      } finally {
        await target.close();
      }
    });
  }

  it('names the basis in headers and refuses a tx in the future', async () => {
    let response = await source.app.inject(`/v2/export?as_of=${pastTx}&format=csv`);
    assert.equal(response.headers['x-gswarm-basis-tx'], String(pastTx));
    assert.match(response.body.split('\n')[0]!, /^id,market,price,volume,ts$/);
    response = await source.app.inject(`/v2/export?as_of=${source.store.conn.basisTx + 10_000}`);
    assert.equal(response.statusCode, 400);
  });
});

describe('gswarm backup', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('gswarm-backup-');
  });
  after(() => dir.remove());

  it('copies a store under ingest; the copy opens and answers as the source as of its tx', async () => {
    const data = join(dir.path, 'data');
    // Small checkpoints, so the copy also takes a checkpoint written while ingest runs.
    const store = await Swarm.open({ storage: storage.persistent(data), checkpointDatoms: 300 });
    const app = await buildServer({ store });
    await store.ingest({ markets: [{ id: 'M' }, { id: 'N' }] });
    let stop = false;
    let batches = 0;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const ticks = [
          tick(`m${i}`, 'M', { price: i % 50, ts: i }),
          tick(`n${i}`, 'N', { price: i % 7, ts: i }),
        ];
        await store.ingest({ ticks });
        batches++;
      }
    })();
    try {
      while (batches < 50) await new Promise((resolve) => setTimeout(resolve, 5));
      const result = await gswarm(['backup', '--data', data, join(dir.path, 'copy')]);
      assert.ok(JSON.parse(result.stdout).entries > 0);
    } finally {
      stop = true;
      await load;
    }
    const copy = await Swarm.open({ storage: storage.persistent(join(dir.path, 'copy')) });
    try {
      const at = copy.conn.basisTx;
      assert.ok(at <= store.conn.basisTx);
      assert.ok(copy.count('tick/id').count >= 100);
      assert.deepEqual(copy.latest(), store.latest({ asOf: at }));
      for (const market of ['M', 'N'])
        assert.deepEqual(copy.ticks(market), store.ticks(market, { asOf: at }));
    } finally {
      await copy.close();
      await app.close();
      await store.close();
    }
    const refused = await gswarm(['backup', '--data', join(dir.path, 'nothing'), join(dir.path, 'x')]).catch(
      (e) => e,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no Gswarm store/);
  });
});
