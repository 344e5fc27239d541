/**
 * The child process of the retention crash test (run with `node --import tsx`):
 *
 *   retention-child.ts <dir> <run>
 *     ingests batches of 200 ticks (ids `r<run>-<n>`) one at a time and prunes to a window of
 *     2,000 ticks after each, until killed. Writes `READY` once open and `K <tx> <first> <count>`
 *     (synchronously) after each batch is durable.
 */
import { writeSync } from 'node:fs';
import { Swarm } from '../../src/market/swarm.js';
import { storage } from '../../src/store/storage.js';

const [dir, run] = process.argv.slice(2);
const swarm = await Swarm.open({ storage: storage.persistent(dir!), checkpointDatoms: 5000 });
await swarm.ingest({ markets: [{ id: 'A' }, { id: 'B' }] });
writeSync(1, 'READY\n');
for (let n = 0; ; n += 200) {
  const ticks = Array.from({ length: 200 }, (_, i) => ({
    id: `r${run}-${n + i}`,
    market: i % 2 === 0 ? 'A' : 'B',
    price: 100 + (i % 9),
    volume: 1,
    ts: 1_700_000_000_000 + n + i,
  }));
  const { tx } = await swarm.ingest({ ticks });
  writeSync(1, `K ${tx} ${n} ${ticks.length}\n`);
  await swarm.pruneWindow({ retainTicks: 2000, summaryWidthMs: 60_000 }, Date.now());
}
