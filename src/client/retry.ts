/** Exponential backoff with full jitter, and a wait that an abort signal cuts short. */

export interface BackoffPolicy {
  /** Retries after the first attempt. */
  retriesMax: number;
  backoffMsBase: number;
  backoffMsMax: number;
}

/** A random delay in [0, min(max, base * 2^attempt)], so many clients do not retry in step. */
export function backoffMs(policy: BackoffPolicy, attempt: number): number {
  return Math.random() * Math.min(policy.backoffMsMax, policy.backoffMsBase * 2 ** attempt);
}

/** Seconds in a Retry-After header (the delay form; HTTP dates are rare here), in ms. */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header) * 1000;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
