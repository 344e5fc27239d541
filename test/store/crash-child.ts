/**
 * The child process of the crash and persistence tests (run with `node --import tsx`).
 *
 *   crash-child.ts <dir> <seed> <checkpointDatoms> loop <inFlight>
 *     transacts the mixed workload forever with <inFlight> txs in flight, until killed.
 *   crash-child.ts <dir> <seed> <checkpointDatoms> script <steps>
 *     runs <steps> steps in waves of 8 with a fixed clock (deterministic), then kills itself
 *     with SIGKILL: a crash with everything acknowledged and no checkpoint written on close.
 *
 * Lines on stdout (written synchronously, so a line written before the kill is never lost):
 *   READY                      the store is open (recovery done)
 *   A <tx> <digest>            tx applied in memory and queued, not yet durable
 *   K <tx> <digest>            tx acknowledged (durable)
 *   DONE                       (script mode) every step acknowledged
 */
import { writeSync } from 'node:fs';
import { Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';
import { seeded, Workload } from './support.js';

const [dir, seedText, checkpointText, mode, countText] = process.argv.slice(2);
const seed = Number(seedText);
const checkpointDatoms = Number(checkpointText);
const count = Number(countText);
const out = (line: string) => writeSync(1, `${line}\n`);

/** A fixed clock: tx ids and instants are the same on every run of the script. */
function fixedClock() {
  let ms = 1_700_000_000_000;
  return { nowMs: () => (ms += 1) };
}

const swarm = await Swarm.open({
  storage: storage.persistent(dir!),
  checkpointDatoms,
  ...(mode === 'script' ? { clock: fixedClock() } : {}),
});
out('READY');
const workload = new Workload(swarm, seeded(seed), seedText!, {
  applied: (tx, d) => out(`A ${tx} ${d}`),
  acknowledged: (tx, d) => out(`K ${tx} ${d}`),
});

if (mode === 'loop') {
  const worker = async () => {
    for (;;) await workload.step();
  };
  await Promise.all(Array.from({ length: count }, worker));
} else {
  for (let done = 0; done < count; done += 8) {
    const wave: Promise<void>[] = [];
    for (let i = done; i < Math.min(count, done + 8); i++) wave.push(workload.step());
    await Promise.all(wave);
  }
  out('DONE');
  process.kill(process.pid, 'SIGKILL');
}
