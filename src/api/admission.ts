/**
 * Ingest backpressure: a batch is refused (503 with Retry-After) when the store's disk commits
 * are slow, when too many batches are already in flight, or when the decompressed bodies held by
 * all requests would pass their cap, so memory stays bounded and nothing acknowledged is dropped.
 * A batch takes its slot only once its body has arrived: slow senders hold no slot.
 */
import { fail } from '../errors.js';
import type { RejectionReason } from './metrics.js';
import type { Store } from './store.js';

export interface AdmissionLimits {
  commitLatencyMsMax: number;
  pendingBatchesMax: number;
  decodedBytesInFlightMax: number;
}

/** How many of the latest commits the latency rule looks at. */
const recentCommits = 16;

export class IngestAdmission {
  /** Batches being validated or committed (each holds a slot). */
  inFlight = 0;
  /** Batches whose body is still arriving (they hold no slot). */
  reading = 0;
  /** Decompressed body bytes held by requests being read, parsed or committed. */
  decodedBytesInFlight = 0;

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

  /** Counts `bytes` more decompressed body in flight, or throws GSW_ERR_OVERLOADED past the cap. */
  holdDecoded(bytes: number): void {
    const { decodedBytesInFlightMax } = this.limits;
    if (this.decodedBytesInFlight + bytes > decodedBytesInFlightMax) {
      fail(
        'GSW_ERR_OVERLOADED',
        `decompressed ingest bodies in flight would exceed decodedBytesInFlightMax (${decodedBytesInFlightMax} bytes)`,
        { reason: 'decoded_bytes', limit: 'decodedBytesInFlightMax', bytesMax: decodedBytesInFlightMax },
      );
    }
    this.decodedBytesInFlight += bytes;
  }

  releaseDecoded(bytes: number): void {
    this.decodedBytesInFlight -= bytes;
  }
}
