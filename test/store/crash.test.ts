/**
 * The crash test: a child process transacts a mixed workload with several txs in flight (group
 * commit) and small checkpoints, reporting each tx when applied and when acknowledged; the test
 * kill -9s it at random moments, over and over on the same directory, and after each kill
 * reopens the store and checks that every acknowledged tx is there with its facts, that no tx is
 * partial, and that the reopened store is identical to a rebuild from the log alone.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';
import { assertSameImage, type LogTx, rebuildFromLog, seeded } from './support.js';

const root = join(import.meta.dirname, '..', '..');
const child = join(import.meta.dirname, 'crash-child.ts');
const kills = 25;
/** A child acknowledging nothing for this long is stuck, however loaded the machine. */
const stallMsMax = 20_000;
const seed = Number(process.env.GSWARM_CRASH_SEED ?? Date.now() % 1_000_000);

interface Run {
  lines: string[];
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<void>;
  /** Resolves once the child has acknowledged `n` txs. */
  acknowledged(n: number): Promise<void>;
  process: ChildProcess;
}

function startChild(dir: string, childSeed: number): Run {
  const process = spawn(
    globalThis.process.execPath,
    ['--import', 'tsx', child, dir, String(childSeed), '400', 'loop', '8'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const run = { lines: [] as string[], stderr: '', process } as Run;
  let partial = '';
  let onReady: () => void;
  run.ready = new Promise((resolve) => (onReady = resolve));
  let acks = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  run.acknowledged = (n) => new Promise((resolve) => waiting.push({ n, resolve }));
  process.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      if (line === 'READY') onReady();
      if (line.startsWith('K ')) {
        acks++;
        for (const w of waiting) if (acks >= w.n) w.resolve();
      }
      run.lines.push(line);
    }
  });
  process.stderr!.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  run.exit = new Promise((resolve) => {
    // 'close' comes after stdout has ended, so every line written before the kill has been read.
    process.on('close', (code, signal) => resolve({ code, signal }));
  });
  return run;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('crash recovery (kill -9 at random moments)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gswarm-crash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`keeps every acknowledged tx, nothing partial, and indices equal a rebuild (seed ${seed})`, {
    timeout: 300_000,
  }, async (t) => {
    const random = seeded(seed);
    /** Every tx a child applied, by tx id, with its digest (a later run's attempt replaces a lost one). */
    const applied = new Map<number, string>();
    /** Every tx a child acknowledged. */
    const acknowledged = new Map<number, string>();
    let ackedTotal = 0;
    let midRunKills = 0;
    let earlyKills = 0;
    let sawCheckpoint = false;

    for (let round = 0; round < kills; round++) {
      const run = startChild(dir, seed * 100 + round);
      const early = round % 5 === 4;
      if (early) {
        // Sometimes kill during start-up and recovery.
        earlyKills++;
        await Promise.race([sleep(Math.floor(random() * 700)), run.exit]);
      } else {
        // Otherwise while it transacts: after a random number of acknowledged txs (so every run
        // does some work however loaded the machine is), plus a random delay.
        // A child that stops making progress fails the test at once rather than after every round.
        const stalled = await Promise.race([
          run.acknowledged(1 + Math.floor(random() * 150)).then(() => false),
          run.exit.then(() => false),
          sleep(stallMsMax).then(() => true),
        ]);
        if (stalled) run.process.kill('SIGKILL');
        assert.ok(!stalled, `round ${round}: the child acknowledged nothing for ${stallMsMax} ms`);
        await Promise.race([sleep(Math.floor(random() * 40)), run.exit]);
      }
      run.process.kill('SIGKILL');
      const { code, signal } = await run.exit;
      assert.equal(signal, 'SIGKILL', `child ended by itself (code ${code}): ${run.stderr}`);

      let ackedThisRun = 0;
      for (const line of run.lines) {
        const [kind, txText, d] = line.split(' ');
        if (kind === 'A') applied.set(Number(txText), d!);
        if (kind === 'K') {
          const tx = Number(txText);
          assert.equal(applied.get(tx), d, `tx ${tx} is acknowledged with the digest it was applied with`);
          acknowledged.set(tx, d!);
          ackedThisRun++;
        }
      }
      ackedTotal += ackedThisRun;
      if (ackedThisRun > 0) midRunKills++;
      sawCheckpoint ||= existsSync(join(dir, 'checkpoint'));

      // The log alone, replayed into a fresh db: the truth.
      const { db: rebuilt, txs } = await rebuildFromLog(dir);
      const inLog = new Map<number, LogTx>(txs.map((x) => [x.tx, x]));

      // Reopen, as a restart would (checkpoint, then the log after it).
      const conn = await open({ storage: storage.persistent(dir) });
      const view = conn.view;
      const image = view.datomStore.image();
      try {
        // Every acknowledged tx is present, whole, with its facts visible as of that tx.
        for (const [tx, d] of acknowledged) {
          assert.notEqual(view.txInstant(tx), undefined, `round ${round}: acknowledged tx ${tx} is present`);
          const logged = inLog.get(tx);
          assert.ok(logged, `round ${round}: acknowledged tx ${tx} is in the log`);
          assert.equal(logged.digest, d, `round ${round}: acknowledged tx ${tx} has exactly its datoms`);
        }
        // Nothing partial: each tx in the log is one a child applied, with exactly its datoms;
        // each applied tx is either there entirely or not at all.
        for (const logged of txs) {
          const d = applied.get(logged.tx);
          if (d === undefined) {
            // Only the schema tx of a first start can precede every report line.
            assert.equal(
              logged.position,
              1,
              `round ${round}: tx ${logged.tx} in the log was applied by a child`,
            );
            continue;
          }
          assert.equal(logged.digest, d, `round ${round}: tx ${logged.tx} in the log is whole`);
        }
        for (const tx of applied.keys()) {
          if (!inLog.has(tx))
            assert.equal(view.txInstant(tx), undefined, `round ${round}: lost tx ${tx} is absent`);
        }
        // The facts of this run's acknowledged txs, as of their tx.
        for (const line of run.lines) {
          const [kind, txText] = line.split(' ');
          if (kind !== 'K') continue;
          const tx = Number(txText);
          const asOf = conn.asOf(tx);
          const net = new Map<string, boolean>();
          for (const d of inLog.get(tx)!.datoms) net.set(JSON.stringify([d.e, d.a, d.v]), d.added);
          for (const [key, added] of net) {
            const [e, a, v] = JSON.parse(key) as [number, string, unknown];
            assert.equal(
              asOf.datoms('eavt', e, a, v).length,
              added ? 1 : 0,
              `round ${round}: tx ${tx}: ${key}`,
            );
          }
        }
        // The recovered store (checkpoint + log tail) is identical to the rebuild.
        assert.equal(view.basisTx, rebuilt.store.lastTxId, `round ${round}: basis is the log's last tx`);
        assertSameImage(image, rebuilt.store.image());
      } finally {
        await conn.close();
      }
    }
    t.diagnostic(
      `${kills} kills, ${midRunKills} mid-run, ${ackedTotal} txs acknowledged, ${applied.size} applied`,
    );
    assert.ok(ackedTotal > 0, 'children acknowledged txs');
    assert.ok(
      midRunKills >= kills - earlyKills,
      `every kill but the early ones came mid-run (${midRunKills})`,
    );
    assert.ok(sawCheckpoint, 'children wrote checkpoints mid-run');
  });
});
