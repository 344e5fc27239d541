/**
 * Ingest backpressure: a batch is refused (503 with Retry-After) when the store's disk commits
 * are slow or when too many batches are already in flight, so memory stays bounded and nothing
 * acknowledged is ever dropped.
 */
import type { RejectionReason } from './metrics.js';
import type { Store } from './store.js';

export interface AdmissionLimits {
  commitLatencyMsMax: number;
  pendingBatchesMax: number;
}

/** How many of the latest commits the latency rule looks at. */
const recentCommits = 16;

export class IngestAdmission {
  /** Batches being read, validated or committed. */
  inFlight = 0;

  constructor(
    private readonly store: Store,
    private readonly limits: AdmissionLimits,
  ) {}

  /** Why a new batch must wait, or undefined when it may enter. */
  refusal(): Extract<RejectionReason, 'commit_latency' | 'queue_full'> | undefined {
    if (this.inFlight >= this.limits.pendingBatchesMax) return 'queue_full';
    const stats = this.store.commitStats();
    if (stats.pendingBatches >= this.limits.pendingBatchesMax) return 'queue_full';
    // The latency window only moves when commits happen: with nothing queued the disk has caught
    // up, so a stale slow window must not refuse work forever.
    if (this.inFlight === 0 && stats.pendingBatches === 0) return undefined;
    // The median of the most recent commits: one slow fsync is not a slow disk.
    const recent = stats.commitLatencyMs.slice(-recentCommits);
    if (recent.length === 0) return undefined;
    const medianMs = [...recent].sort((x, y) => x - y)[recent.length >> 1]!;
    return medianMs > this.limits.commitLatencyMsMax ? 'commit_latency' : undefined;
  }
}
