/** Market-store nodes of one cluster in this process, for tests on a real JetStream. */
import { ClusterSwarm } from '../../src/cluster/cluster-swarm.js';
import { ClusterNode } from '../../src/cluster/node.js';
import { marketSchema } from '../../src/market/schema.js';
import type { NatsCluster } from './nats-cluster.js';

/** Starts a node per id on `nats`'s first server, each serving the market store of `cluster`. */
export async function startMarketNodes(
  nats: NatsCluster,
  cluster: string,
  ids: readonly string[],
  shards: number,
): Promise<ClusterSwarm[]> {
  const nodes: ClusterSwarm[] = [];
  for (const id of ids) {
    const node = await ClusterNode.start({
      nats: { servers: [nats.url(0)] },
      cluster,
      node: id,
      shards,
      schema: marketSchema,
    });
    nodes.push(await ClusterSwarm.on(node));
  }
  return nodes;
}
