/**
 * A throwaway server for `gswarm bench`: a persistent store in a new temp directory behind the
 * HTTP API on a free loopback port, removed on close, so a benchmark never touches a user's data.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../api/index.js';
import { storage } from '../index.js';
import { Swarm } from '../market/swarm.js';

export interface ScratchServer {
  url: string;
  close(): Promise<void>;
}

export async function startScratchServer(): Promise<ScratchServer> {
  const dir = await mkdtemp(join(tmpdir(), 'gswarm-bench-'));
  const store = await Swarm.open({ storage: storage.persistent(dir) });
  const app = await buildServer({ store });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    async close() {
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
