/**
 * Retention under kill -9: a child ingests and prunes to a small window after every batch while
 * the test kills it at random moments, over and over on one directory. After each kill the store
 * opens, every acknowledged tick from the horizon on is there, none from before it is, and the
 * candles (kept candles of pruned ticks merged with the ticks held) count every durable tick
 * exactly once: a prune and its candles land together or not at all.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';
import { seeded } from './support.js';

const root = join(import.meta.dirname, '..', '..');
const child = join(import.meta.dirname, 'retention-child.ts');
const seed = Number(process.env.GSWARM_CRASH_SEED ?? Date.now() % 1_000_000);
const kills = 8;

interface Ack {
  tx: number;
  ids: string[];
}

/** Runs the child until it has acknowledged a batch and `ms` more have passed, then kills it. */
async function runAndKill(dir: string, run: number, ms: number): Promise<Ack[]> {
  const process = spawn(globalThis.process.execPath, ['--import', 'tsx', child, dir, String(run)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: Ack[] = [];
  let stderr = '';
  let partial = '';
  let firstAck: () => void;
  const acknowledged = new Promise<void>((resolve) => (firstAck = resolve));
  process.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const [kind, tx, first, count] = line.split(' ');
      if (kind !== 'K') continue;
      const ids = Array.from({ length: Number(count) }, (_, i) => `r${run}-${Number(first) + i}`);
      acks.push({ tx: Number(tx), ids });
      firstAck();
    }
  });
  process.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<void>((resolve) => process.on('close', () => resolve()));
  await Promise.race([acknowledged, closed]);
  await new Promise((resolve) => setTimeout(resolve, ms));
  process.kill('SIGKILL');
  await closed;
  assert.ok(acks.length > 0, `the child acknowledged nothing: ${stderr}`);
  return acks;
}

describe('retention under kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gswarm-retention-crash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`loses nothing inside the window and counts every tick once (seed ${seed})`, {
    timeout: 300_000,
  }, async () => {
    const random = seeded(seed);
    const acked: Ack[] = [];
    let horizons = 0;
    for (let run = 0; run < kills; run++) {
      acked.push(...(await runAndKill(dir, run, 50 + Math.floor(random() * 1500))));
      const swarm = await Swarm.open({ storage: storage.persistent(dir) });
      try {
        const horizon = swarm.conn.horizonTx;
        if (horizon > 0) horizons++;
        const view = swarm.conn.view;
        const idAttr = view.attributeNamed('tick/id');
        for (const { tx, ids } of acked) {
          for (const id of [ids[0]!, ids[ids.length - 1]!]) {
            const held = view.entityWith(idAttr, id) !== undefined;
            assert.equal(held, tx >= horizon, `tick ${id} of tx ${tx}, horizon ${horizon}`);
          }
        }
        const counted = ['A', 'B']
          .flatMap((m) => swarm.candles(m, 86_400_000))
          .reduce((sum, c) => sum + c.ticks, 0);
        // Each run may have made one batch durable that it did not live to acknowledge.
        const ackedTicks = acked.reduce((sum, a) => sum + a.ids.length, 0);
        assert.ok(
          counted >= ackedTicks && counted <= ackedTicks + 200 * (run + 1),
          `candles count ${counted} ticks, ${ackedTicks} were acknowledged`,
        );
      } finally {
        await swarm.close();
      }
    }
    assert.ok(horizons > 0, 'the child pruned');
  });
});
