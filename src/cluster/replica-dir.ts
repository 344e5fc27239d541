/**
 * Where a node keeps its replica of a shard on disk: `<data>/shard-<s>`, holding the replica's
 * checkpoints (the log is the shard's stream, not a file here) and `stream.json`, which names the
 * stream the checkpoints were taken from and its identity. A checkpoint's position means
 * something only in that stream: a stream deleted and made again under the same name (a cluster
 * rebuilt on the same NATS) starts its positions over, and replaying its tail onto the old image
 * would build a state no one wrote. Such a directory is refused, naming both streams, rather than
 * silently rebuilt: which one the operator meant is theirs to say.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';
import type { JetStreamLog } from '../log/jetstream-log.js';
import { type Storage, storage } from '../store/storage.js';

interface StreamIdentity {
  stream: string;
  id: string;
}

/** The storage for `log`'s replica under `data`, made (or checked against `log`) now. */
export function replicaStorage(
  data: string,
  shard: number,
  log: Pick<JetStreamLog, 'stream' | 'identity'>,
): Storage {
  const dir = join(data, `shard-${shard}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'stream.json');
  const current: StreamIdentity = { stream: log.stream, id: log.identity };
  const recorded = readIdentity(path);
  if (recorded === undefined) {
    writeFileSync(`${path}.tmp`, `${JSON.stringify(current)}\n`);
    renameSync(`${path}.tmp`, path);
  } else if (recorded.stream !== current.stream || recorded.id !== current.id) {
    fail(
      'GSW_ERR_CLUSTER_MISMATCH',
      `${dir} holds a replica of stream ${recorded.stream} (${recorded.id}), but the shard's stream is ${current.stream} (${current.id}); remove the directory to rebuild the replica from the stream`,
      { dir, recorded, current },
    );
  }
  return storage.persistent(dir);
}

function readIdentity(path: string): StreamIdentity | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: { stream?: unknown; id?: unknown; created?: unknown } | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  // Written before streams had ids, it names the stream's creation time, as streamIdentity does.
  const id = typeof parsed?.created === 'string' ? `created ${parsed.created}` : parsed?.id;
  if (typeof parsed?.stream !== 'string' || typeof id !== 'string') {
    fail('GSW_ERR_CLUSTER_MISMATCH', `${path} does not name a stream: ${text.trim()}`, { path });
  }
  return { stream: parsed.stream, id };
}
