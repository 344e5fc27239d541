/** The server's Prometheus metrics, in a registry of its own so several servers can share a process. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
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
    collectDefaultMetrics({ register: this.registry, prefix: 'gswarm_' });
    // prom-client names these gauges like counters, which promtool refuses; the gauges of the same
    // name without `_total` carry the same figures by type.
    for (const kind of ['resources', 'handles', 'requests'])
      this.registry.removeSingleMetric(`gswarm_nodejs_active_${kind}_total`);
  }
}
