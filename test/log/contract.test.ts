/** The log contract (./contract.ts) on every TxLog: memory, LMDB and JetStream on a real 3-server cluster. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { JetStreamLog } from '../../src/log/jetstream-log.js';
import { LmdbLog } from '../../src/log/lmdb-log.js';
import { MemoryLog } from '../../src/log/memory-log.js';
import { connectNats } from '../../src/log/nats-connection.js';
import { NatsCluster } from '../cluster/nats-cluster.js';
import { logContract } from './contract.js';

logContract('memory', async () => {
  const log = new MemoryLog(64 * 1024);
  // Other writers of a memory log share the object; closing one closes it.
  return { log, another: async () => log };
});

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

logContract('LMDB', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'gswarm-log-')), 'log.mdb');
  dirs.push(path);
  return { log: new LmdbLog(path, 64 * 1024), another: async () => new LmdbLog(path, 64 * 1024) };
});

let cluster: Promise<NatsCluster> | undefined;
after(async () => {
  await (await cluster)?.close();
});
let streams = 0;

logContract('JetStream (3 servers, R3)', async () => {
  cluster ??= NatsCluster.start();
  const { urls } = await cluster;
  // Each test its own stream; each writer its own connection, to a different server, as nodes are.
  const name = `contract${++streams}`;
  let writers = 0;
  const open = async () =>
    JetStreamLog.open({
      nats: await connectNats({ servers: [urls[writers++ % urls.length]!] }),
      cluster: name,
      shard: 0,
      ownsConnection: true,
    });
  return { log: await open(), another: open };
});
