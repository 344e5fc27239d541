/** The server's Prometheus metrics, in a registry of its own so several servers can share a process. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterShardStatus, ClusterStatus } from '../cluster/cluster-status.js';
import type { Store } from './store.js';

/** Seconds, from a fraction of a millisecond up to the point where backpressure has long kicked in. */
const latencyBucketsS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export type RejectionReason =
  | 'commit_latency'
  | 'queue_full'
  | 'decoded_bytes'
  | 'body_timeout'
  | 'shutting_down'
  | 'invalid_rows'
  | 'dangling_ref'
  | 'conflict'
  | 'malformed_body'
  | 'body_too_large'
  | 'unsupported_media'
  | 'other';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly ticksIngested = new Counter({
    name: 'gswarm_ticks_ingested_total',
    help: 'Ticks newly stored by acknowledged ingest batches',
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'gswarm_ticks_duplicate_total',
    help: 'Re-sent ticks that were already stored with the same content',
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: 'gswarm_ingest_batches_total',
    help: 'Ingest batches acknowledged as durable',
    registers: [this.registry],
  });
  readonly rejections = new Counter({
    name: 'gswarm_ingest_rejections_total',
    help: 'Ingest batches refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly commitLatency = new Histogram({
    name: 'gswarm_commit_latency_seconds',
    help: 'Time from handing a batch to the store until it is durable',
    buckets: latencyBucketsS,
    registers: [this.registry],
  });
  readonly alertLatency = new Histogram({
    name: 'gswarm_alert_latency_seconds',
    help: "Time from the instant of an alert's tx until the alert is written to an SSE stream",
    buckets: latencyBucketsS,
    registers: [this.registry],
  });

  /** `storeBytes` measures the store on disk; without it the gauge is left out. */
  constructor(store: Store, queueDepth: () => number, storeBytes?: () => number) {
    new Gauge({
      name: 'gswarm_ingest_queue_depth',
      help: 'Ingest batches in flight: being read, validated or committed',
      registers: [this.registry],
      collect() {
        this.set(queueDepth());
      },
    });
    new Gauge({
      name: 'gswarm_store_pending_batches',
      help: "Batches waiting in the store's group commit",
      registers: [this.registry],
      collect() {
        this.set(store.commitStats().pendingBatches);
      },
    });
    if (storeBytes !== undefined) {
      new Gauge({
        name: 'gswarm_store_bytes',
        help: 'Size of the store on disk',
        registers: [this.registry],
        collect() {
          this.set(storeBytes());
        },
      });
    }
    if (store.cluster !== undefined) clusterGauges(this.registry, store.cluster.bind(store));
    if (store.onForward !== undefined) {
      const parts = new Counter({
        name: 'gswarm_forwarded_parts_total',
        help: "Writes (ingest parts, reflexes, read closes) sent to their shard's leader, in place when this node leads it, by outcome",
        labelNames: ['outcome'],
        registers: [this.registry],
      });
      const seconds = new Histogram({
        name: 'gswarm_forward_seconds',
        help: "Time from sending a write to its shard's leader to its answer (a failover included)",
        buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
        registers: [this.registry],
      });
      store.onForward((ms, ok) => {
        parts.inc({ outcome: ok ? 'ok' : 'failed' });
        seconds.observe(ms / 1000);
      });
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'gswarm_' });
    // prom-client names these gauges like counters, which promtool refuses; the gauges of the same
    // name without `_total` carry the same figures by type.
    for (const kind of ['resources', 'handles', 'requests'])
      this.registry.removeSingleMetric(`gswarm_nodejs_active_${kind}_total`);
  }
}

/**
 * A cluster node's shards, per shard: the leadership epoch (it rises by one per leader change,
 * failovers and handoffs alike), whether this node leads it, and how far its replica is behind
 * the stream as this node knows it.
 */
function clusterGauges(registry: Registry, cluster: () => ClusterStatus): void {
  const gauge = (name: string, help: string, value: (s: ClusterShardStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['shard'],
      registers: [registry],
      collect() {
        for (const s of cluster().shards) this.set({ shard: String(s.shard) }, value(s));
      },
    });
  gauge('gswarm_shard_epoch', 'Leadership epoch of the shard: one more per leader change', (s) => s.epoch);
  gauge('gswarm_shard_leading', 'Whether this node leads the shard (1) or follows it (0)', (s) =>
    s.role === 'leader' ? 1 : 0,
  );
  gauge('gswarm_shard_replica_lag_entries', "Stream entries this node's replica has yet to apply", (s) =>
    Math.max(0, s.last_seq - s.applied_seq),
  );
}
