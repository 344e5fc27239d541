/** The cluster as one node sees it: the wire shape of `GET /v2/cluster` (snake_case fields). */
import type { Role } from './leadership.js';

export interface ClusterShardStatus {
  shard: number;
  /** The node leading the shard as far as this node knows (null: none yet). */
  leader: string | null;
  epoch: number;
  /** This node's role for the shard. */
  role: Role;
  /** The shard stream's last sequence as far as this node knows (-1: not yet read). */
  last_seq: number;
  /** The last sequence this node's replica has applied. */
  applied_seq: number;
}

export interface ClusterStatus {
  node: string;
  shards: ClusterShardStatus[];
  nodes: { node: string; url: string | null; alive: boolean }[];
}
