/**
 * A node's replica directory is checked against the shard's stream once it names one: the same
 * stream opens, one made again under its name is refused naming both, and a record is written
 * only where there is none.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { recordReplicaStream, replicaStorage } from '../../src/cluster/replica-dir.js';

const created = '2026-11-30T10:00:00.123456789Z';
const stream = (at: string) => ({ stream: 'GSWARM_c_3', created: async () => at });

describe('replica directories', () => {
  let data: string;
  beforeEach(() => {
    data = mkdtempSync(join(tmpdir(), 'gswarm-replica-dir-'));
  });
  afterEach(() => {
    rmSync(data, { recursive: true, force: true });
  });

  const refusal = (pattern: RegExp) => (error: unknown) => {
    assert.equal((error as { code?: string }).code, 'GSW_ERR_CLUSTER_MISMATCH');
    assert.match((error as Error).message, pattern);
    return true;
  };

  it('opens unchecked until the stream is recorded, then only against that stream', async () => {
    const storage = await replicaStorage(data, 3, stream(created));
    assert.deepEqual(storage, { kind: 'persistent', path: join(data, 'shard-3') });
    await replicaStorage(data, 3, stream('2026-11-30T10:00:00.2Z'));
    await recordReplicaStream(data, 3, stream(created));
    assert.deepEqual(JSON.parse(readFileSync(join(data, 'shard-3', 'stream.json'), 'utf8')), {
      stream: 'GSWARM_c_3',
      created,
    });
    await replicaStorage(data, 3, stream(created));
    await assert.rejects(
      replicaStorage(data, 3, stream('2026-12-01T08:00:00Z')),
      refusal(
        /shard-3 holds a replica of stream GSWARM_c_3 created 2026-11-30T10:00:00.123456789Z, but the shard's stream is GSWARM_c_3 created 2026-12-01T08:00:00Z; remove the directory/,
      ),
    );
  });

  it('keeps the first record: a later one does not replace it', async () => {
    await replicaStorage(data, 3, stream(created));
    await recordReplicaStream(data, 3, stream(created));
    await recordReplicaStream(data, 3, stream('2026-12-01T08:00:00Z'));
    assert.equal(JSON.parse(readFileSync(join(data, 'shard-3', 'stream.json'), 'utf8')).created, created);
  });

  it('refuses a stream.json that names no stream', async () => {
    const dir = join(data, 'shard-1');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stream.json'), '{"stream": 7}\n');
    await assert.rejects(
      replicaStorage(data, 1, stream(created)),
      refusal(/stream.json does not name a stream: \{"stream": 7\}/),
    );
  });
});
