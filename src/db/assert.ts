/**
 * Invariant checks. A failed assertion is a bug in Gswarm, never bad input: it stops the
 * operation loudly rather than let a wrong fact be written. Recovery is from the log.
 */
export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new InvariantError(`invariant broken: ${why}`);
}

export function assertNever(value: never, why: string): never {
  throw new InvariantError(`invariant broken: ${why} (${JSON.stringify(value)})`);
}
