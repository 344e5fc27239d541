/**
 * The cluster's own metadata: a one-entry stream (`GSWARM_<cluster>_meta_0`) holding the shard
 * count fixed when the cluster was created. The first node to start writes it with the fence
 * (expected last 0), so of two founders one wins; every node then checks its own count against it.
 */

import type { NatsConnection } from '@nats-io/nats-core';
import { fail, GswarmError } from '../errors.js';
import { JetStreamLog } from '../log/jetstream-log.js';

interface ClusterMeta {
  shards: number;
}

/** Records `shards` as the cluster's shard count, or checks it against the one recorded. */
export async function checkShardCount(nats: NatsConnection, cluster: string, shards: number): Promise<void> {
  const log = await JetStreamLog.open({ nats, cluster: `${cluster}_meta`, shard: 0 });
  try {
    const mine = new TextEncoder().encode(JSON.stringify({ shards } satisfies ClusterMeta));
    try {
      await log.append([mine], { expectedLast: 0 });
      return;
    } catch (error) {
      if (!(error instanceof GswarmError && error.code === 'GSW_ERR_FENCED')) throw error;
    }
    for await (const entry of log.read(0)) {
      const recorded = JSON.parse(new TextDecoder().decode(entry.records[0])) as ClusterMeta;
      if (recorded.shards !== shards) {
        fail(
          'GSW_ERR_CLUSTER_MISMATCH',
          `cluster ${cluster} was created with ${recorded.shards} shards; this node was started with ${shards} (--shards must match)`,
          { cluster, shards: recorded.shards, given: shards },
        );
      }
      return;
    }
  } finally {
    await log.close();
  }
}
