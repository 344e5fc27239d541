/**
 * What the HTTP API needs from the market store: the embedded Swarm (src/market/swarm.ts), or a
 * cluster node's ClusterSwarm (src/cluster/cluster-swarm.ts), which answers from replicas of
 * every shard.
 */
import type { ClusterStatus } from '../cluster/cluster-status.js';
import type { DistinctAnswer, DistinctAttr, HotAnswer, WindowQuery } from '../market/sketches/sketches.js';
import type { HotBy } from '../market/sketches/window-sketch.js';
import type { Swarm } from '../market/swarm.js';

/** Distinct and hot markets in an event-time window (src/market/sketches, merged in a cluster). */
export interface SketchReader {
  /** The largest k a hot answer may ask for. */
  readonly topKMax: number;
  distinct(attr: DistinctAttr, query?: WindowQuery): DistinctAnswer | Promise<DistinctAnswer>;
  hot(by: HotBy, k: number, query?: WindowQuery): HotAnswer | Promise<HotAnswer>;
}

/** Tx instants, and the tx of an instant: what resolving an `as_of` needs. */
export interface Timeline {
  readonly basisTx: number;
  txInstant(tx: number): number | undefined;
  txAtInstant(instantMs: number): number;
}

export type Store = Pick<
  Swarm,
  | 'ingest'
  | 'latest'
  | 'count'
  | 'ticks'
  | 'candles'
  | 'putReflex'
  | 'reflexes'
  | 'deleteReflex'
  | 'alerts'
  | 'alertCursor'
  | 'alertsAfter'
  | 'onAlert'
  | 'commitStats'
  | 'query'
  | 'accepting'
> & {
  readonly sketches: SketchReader;
  timeline(): Timeline;
  /** Waits until a read as of `tx` is final on this node; absent where every read is. */
  settle?(tx: number): Promise<void>;
  /** The cluster as this node sees it; absent for the embedded store. */
  cluster?(): ClusterStatus;
  /** Hears each write sent to its shard's leader: how long it took, and whether it succeeded. */
  onForward?(listener: (ms: number, ok: boolean) => void): void;
};

/** The embedded store: one database in this process, which a few routes read directly. */
export type LocalStore = Store & Pick<Swarm, 'conn' | 'sketches'>;

export function isLocal(store: Store): store is LocalStore {
  return 'conn' in store && 'sketches' in store;
}

export type { Alert as StoreAlert, Reflex as StoreReflex } from '../market/swarm.js';
