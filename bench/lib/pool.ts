/** Calls `fn(0)`, `fn(1)`, ... `fn(count - 1)` with at most `concurrency` calls in flight. */
export async function inFlight(
  count: number,
  concurrency: number,
  fn: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}
