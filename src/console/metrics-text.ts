/** The few Prometheus series the overview charts, read from /metrics' text format. */

export interface MetricSamples {
  commitSumS: number;
  commitCount: number;
  rejections: number;
  storeBytes: number | undefined;
}

export function samplesFromMetrics(text: string): MetricSamples {
  const out: MetricSamples = { commitSumS: 0, commitCount: 0, rejections: 0, storeBytes: undefined };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [name, value] = line.split(/\s+(?=[^\s]+$)/);
    const number = Number(value);
    if (name === undefined || !Number.isFinite(number)) continue;
    if (name === 'gswarm_commit_latency_seconds_sum') out.commitSumS = number;
    else if (name === 'gswarm_commit_latency_seconds_count') out.commitCount = number;
    else if (name.startsWith('gswarm_ingest_rejections_total')) out.rejections += number;
    else if (name === 'gswarm_store_bytes') out.storeBytes = number;
  }
  return out;
}
