/**
 * Where a node keeps its replica of a shard on disk: `<data>/shard-<s>`, holding the replica's
 * checkpoints (the log is the shard's stream, not a file here) and `stream.json`, which names the
 * stream the checkpoints were taken from and when it was created. A checkpoint's position means
 * something only in that stream: a stream deleted and made again under the same name (a cluster
 * rebuilt on the same NATS) starts its positions over, and replaying its tail onto the old image
 * would build a state no one wrote. Such a directory is refused, naming both streams, rather than
 * silently rebuilt: which one the operator meant is theirs to say.
 *
 * The creation time is recorded once it has settled, not when the stream is opened: nodes
 * starting together each create the stream, and nats-server 2.9 applies every create, the last
 * one's time winning, so the time a node hears first may not be the stream's.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';
import type { JetStreamLog } from '../log/jetstream-log.js';
import { type Storage, storage } from '../store/storage.js';

interface StreamIdentity {
  stream: string;
  created: string;
}

type StreamOfShard = Pick<JetStreamLog, 'stream' | 'created'>;

/** The storage for `log`'s replica under `data`, made now, or checked against `log` if recorded. */
export async function replicaStorage(data: string, shard: number, log: StreamOfShard): Promise<Storage> {
  const dir = replicaDir(data, shard);
  mkdirSync(dir, { recursive: true });
  const recorded = readIdentity(join(dir, 'stream.json'));
  if (recorded !== undefined) {
    const current = await identityOf(log);
    if (recorded.stream !== current.stream || recorded.created !== current.created) {
      fail(
        'GSW_ERR_CLUSTER_MISMATCH',
        `${dir} holds a replica of stream ${recorded.stream} created ${recorded.created}, but the shard's stream is ${current.stream} created ${current.created}; remove the directory to rebuild the replica from the stream`,
        { dir, recorded, current },
      );
    }
  }
  return storage.persistent(dir);
}

/** Records `log`'s stream as the one the replica under `data` follows, unless one is recorded. */
export async function recordReplicaStream(data: string, shard: number, log: StreamOfShard): Promise<void> {
  const path = join(replicaDir(data, shard), 'stream.json');
  if (readIdentity(path) !== undefined) return;
  writeFileSync(`${path}.tmp`, `${JSON.stringify(await identityOf(log))}\n`);
  renameSync(`${path}.tmp`, path);
}

function replicaDir(data: string, shard: number): string {
  return join(data, `shard-${shard}`);
}

async function identityOf(log: StreamOfShard): Promise<StreamIdentity> {
  return { stream: log.stream, created: await log.created() };
}

function readIdentity(path: string): StreamIdentity | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Partial<StreamIdentity> | undefined;
  try {
    parsed = JSON.parse(text) as Partial<StreamIdentity>;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed?.stream !== 'string' || typeof parsed.created !== 'string') {
    fail('GSW_ERR_CLUSTER_MISMATCH', `${path} does not name a stream: ${text.trim()}`, { path });
  }
  return parsed as StreamIdentity;
}
