/** A real store behind a real server, for the HTTP tests: in memory, or persistent in a temp dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/api/index.js';
import type { ServerOptions } from '../../src/api/options.js';
import type { Tick } from '../../src/api/wire.js';
import { storage } from '../../src/index.js';
import { Swarm } from '../../src/market/swarm.js';

export interface Harness {
  app: FastifyInstance;
  store: Swarm;
  /** Closes the server, then the store, then removes the temp dir if any. */
  close(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function startServer(
  options: Partial<ServerOptions> & { persistent?: boolean } = {},
): Promise<Harness> {
  const { persistent, ...serverOptions } = options;
  const dir = persistent ? await tempDir('gswarm-api-') : undefined;
  const store = await Swarm.open({ storage: dir ? storage.persistent(dir.path) : storage.memory() });
  const app = await buildServer({ store, ...serverOptions });
  return {
    app,
    store,
    async close() {
      await app.close();
      await store.close();
      await dir?.remove();
    },
  };
}

export const tick = (id: string | number, market = 'M', fields: Partial<Tick> = {}): Tick => ({
  id: String(id),
  market,
  price: 100,
  volume: 1,
  ts: 1_700_000_000_000 + Number.parseInt(String(id).replace(/\D/g, '') || '0', 10),
  ...fields,
});

export const ndjson = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).join('\n');

export function ingest(
  app: FastifyInstance,
  payload: string | Buffer | object,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v2/ingest',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'object' && !Buffer.isBuffer(payload) ? JSON.stringify(payload) : payload,
  });
}
