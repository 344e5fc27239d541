/**
 * Retention on the market store: candles equal before and after pruning (the kept candles of the
 * pruned ticks merged with the ticks held), reads inside the window equal a store that never
 * pruned, alerts keep naming their ticks, reads before the horizon are refused, and a steady
 * ingest with a small window keeps the store's datoms and its log bounded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { GswarmError } from '../../src/errors.js';
import { MemoryLog } from '../../src/log/memory-log.js';
import { candleIntervalsMs } from '../../src/market/candles.js';
import { retentionHorizon } from '../../src/market/retention.js';
import { marketSchema } from '../../src/market/schema.js';
import { Swarm } from '../../src/market/swarm.js';
import { open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';
import { seeded } from '../store/support.js';

const row = fc.record({
  market: fc.constantFrom('A', 'B'),
  price: fc.integer({ min: 0, max: 200 }),
  volume: fc.integer({ min: 0, max: 50 }),
  // Event times collide and straddle minute and hour edges; late ticks land in old buckets.
  ts: fc.oneof(fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 0, max: 2 * 86_400_000 })),
});

const intervals = Object.entries(candleIntervalsMs).filter(([, ms]) => ms >= 60_000);

describe('retention', () => {
  it('keeps candles, the window and the alerts exact, and refuses reads before the horizon', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(row, { minLength: 1, maxLength: 10 }), { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 0, max: 40 }),
        async (batches, retainTicks) => {
          const pruned = await Swarm.open({ storage: storage.memory() });
          const whole = await Swarm.open({ storage: storage.memory() });
          try {
            for (const swarm of [pruned, whole]) {
              await swarm.ingest({ markets: [{ id: 'A' }, { id: 'B' }] });
              await swarm.putReflex({ id: 'hi', market: 'A', above: 150 });
            }
            const txs: number[] = [];
            const wholeTxs: number[] = [];
            for (const [b, rows] of batches.entries()) {
              const ticks = rows.map((r, i) => ({ id: `t${b}-${i}`, ...r }));
              txs.push((await pruned.ingest({ ticks })).tx);
              wholeTxs.push((await whole.ingest({ ticks })).tx);
            }
            const before = (swarm: Swarm) =>
              intervals.map(([, ms]) => ['A', 'B'].map((m) => swarm.candles(m, ms)));
            const expected = before(pruned);
            const horizon = await pruned.pruneWindow({ retainTicks, summaryWidthMs: 60_000 }, Date.now());
            if (horizon === 0) return;
            assert.deepEqual(before(pruned), expected, 'candles of kept candles and ticks');
            assert.deepEqual(before(pruned), before(whole));
            // Inside the window: every tick stored from the horizon on, as of every tx since.
            const batchOf = (id: string) => Number(id.slice(1, id.indexOf('-')));
            for (const [b, tx] of txs.entries()) {
              if (tx < horizon) continue;
              for (const m of ['A', 'B']) {
                const inWindow = (t: { id: string }) => txs[batchOf(t.id)]! >= horizon;
                const held = pruned.ticks(m, { asOf: tx });
                assert.deepEqual(
                  held.filter(inWindow),
                  whole.ticks(m, { asOf: wholeTxs[b] }).filter(inWindow),
                );
              }
            }
            assert.deepEqual(
              pruned.alerts().map((a) => a.tick),
              whole.alerts().map((a) => a.tick),
              'alerts keep naming their ticks',
            );
            const first = pruned.timeline().firstTx;
            assert.equal(first, horizon);
            assert.throws(
              () => pruned.count('tick/id', horizon - 1),
              (e: GswarmError) => e.code === 'GSW_ERR_GONE' && e.data.horizonTx === horizon,
            );
          } finally {
            await pruned.close();
            await whole.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps datoms and the log bounded under a steady ingest with a small window', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gswarm-retain-'));
    const swarm = await Swarm.open({ storage: storage.persistent(dir) });
    try {
      await swarm.ingest({ markets: [{ id: 'A' }, { id: 'B' }] });
      const window = { retainTicks: 4000, summaryWidthMs: 3_600_000 };
      const datoms: number[] = [];
      const logBytes: number[] = [];
      for (let b = 0; b < 60; b++) {
        const ticks = Array.from({ length: 500 }, (_, i) => ({
          id: `t${b}-${i}`,
          market: i % 2 === 0 ? 'A' : 'B',
          price: 100 + (i % 7),
          volume: 1,
          ts: b * 1000 + i,
        }));
        await swarm.ingest({ ticks });
        await swarm.pruneWindow(window, Date.now());
        // The log before a prune goes once a checkpoint holds it; here, at once.
        await swarm.conn.checkpoint();
        datoms.push(swarm.conn.view.datomStore.datomCount);
        logBytes.push(statSync(join(dir, 'log.mdb')).size);
      }
      // 4,000 ticks kept, up to an eighth more before a prune, plus a batch: 5 datoms a tick.
      const bound = ((4000 * 9) / 8) * 5 + 500 * 5 + 200;
      assert.ok(Math.max(...datoms.slice(10)) <= bound, `datoms ${Math.max(...datoms)} > ${bound}`);
      assert.ok(swarm.count('tick/id').count <= 4000 + 500 + 500);
      // LMDB reuses the pages of dropped entries: the file stops growing after a few windows.
      assert.ok(logBytes[59]! <= logBytes[29]! * 1.1, `log ${logBytes[29]} -> ${logBytes[59]}`);
      assert.equal(retentionHorizon(swarm.conn.view.datomStore, Date.now(), window), undefined);
      const candles = swarm.candles('A', candleIntervalsMs['1h']);
      assert.equal(candles.length, 1);
      assert.equal(candles[0]!.ticks, 60 * 250, 'every tick ever stored counts in the candles');
    } finally {
      await swarm.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a prune whose summary does not fit a log entry, changing nothing, and prunes with a coarser one', async () => {
    const conn = await open({
      storage: storage.memory(),
      // Random prices and volumes, so the log's zstd cannot shrink the candles much: a batch of
      // 250 ticks takes ~2.4 KB, the 1 s summary ~5.9 KB, the 1 h one ~0.1 KB.
      log: new MemoryLog(4 * 1024),
      schema: marketSchema,
    });
    const swarm = Swarm.on(conn);
    const random = seeded(7);
    try {
      await swarm.ingest({ markets: [{ id: 'A' }] });
      for (let b = 0; b < 4; b++) {
        const ticks = Array.from({ length: 250 }, (_, i) => ({
          id: `t${b}-${i}`,
          market: 'A',
          price: Math.round(random() * 1e6) / 1e3,
          volume: 1 + Math.floor(random() * 1e6),
          ts: (b * 250 + i) * 1000,
        }));
        await swarm.ingest({ ticks });
      }
      const window = { retainTicks: 250 };
      await assert.rejects(
        swarm.pruneWindow({ ...window, summaryWidthMs: 1000 }, Date.now()),
        (e: GswarmError) => e.code === 'GSW_ERR_TX_TOO_LARGE',
      );
      assert.equal(conn.horizonTx, 0);
      assert.equal(conn.accepting, true);
      assert.equal(swarm.count('tick/id').count, 1000);
      assert.ok((await swarm.pruneWindow({ ...window, summaryWidthMs: 3_600_000 }, Date.now())) > 0);
      assert.equal(swarm.candles('A', 86_400_000)[0]!.ticks, 1000);
    } finally {
      await swarm.close();
    }
  });
});
