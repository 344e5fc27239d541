/**
 * A node's replica directory is checked against the shard's stream: the same stream opens, one
 * made again under its name is refused naming both, and a `stream.json` written before streams
 * had ids still opens against the stream it names.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { replicaStorage } from '../../src/cluster/replica-dir.js';

const id = '2b1f0c7e-8d4a-4f53-9b0e-6a1c3d5e7f90';

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

  it('records the stream, opens against it again, and refuses another of its name', () => {
    replicaStorage(data, 3, { stream: 'GSWARM_c_3', identity: id });
    assert.deepEqual(JSON.parse(readFileSync(join(data, 'shard-3', 'stream.json'), 'utf8')), {
      stream: 'GSWARM_c_3',
      id,
    });
    replicaStorage(data, 3, { stream: 'GSWARM_c_3', identity: id });
    assert.throws(
      () => replicaStorage(data, 3, { stream: 'GSWARM_c_3', identity: 'another' }),
      refusal(
        /shard-3 holds a replica of stream GSWARM_c_3 \(2b1f0c7e-.*\), but the shard's stream is GSWARM_c_3 \(another\)/,
      ),
    );
  });

  it('opens a directory recorded by creation time against a stream known by it, and no other', () => {
    const dir = join(data, 'shard-0');
    mkdirSync(dir);
    const created = '2026-11-30T10:00:00.123456789Z';
    writeFileSync(join(dir, 'stream.json'), `${JSON.stringify({ stream: 'GSWARM_c_0', created })}\n`);
    replicaStorage(data, 0, { stream: 'GSWARM_c_0', identity: `created ${created}` });
    assert.throws(
      () => replicaStorage(data, 0, { stream: 'GSWARM_c_0', identity: id }),
      refusal(/\(created 2026-11-30T10:00:00.123456789Z\), but the shard's stream is GSWARM_c_0 \(2b1f/),
    );
  });

  it('refuses a stream.json that names no stream', () => {
    const dir = join(data, 'shard-1');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stream.json'), '{"stream": 7}\n');
    assert.throws(
      () => replicaStorage(data, 1, { stream: 'GSWARM_c_1', identity: id }),
      refusal(/stream.json does not name a stream: \{"stream": 7\}/),
    );
  });
});
