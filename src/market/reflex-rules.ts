/**
 * Reflex rules, pure. A reflex watches one attribute (tick/price by default) of one market's
 * ticks. The band is the values above `above` and below `below` (either bound may be absent, not
 * both). Firing is edge-triggered: a reflex fires on a tick whose value is in the band when the
 * market's previous tick (in log order) was not; it fires again only after a tick outside the
 * band. `cooldownMs` further suppresses a firing within that much event time (tick/ts) of the
 * reflex's previous alert; a suppressed entry still counts as being in the band.
 */
export interface Reflex {
  id: string;
  market: string;
  attr?: 'tick/price' | 'tick/volume';
  above?: number;
  below?: number;
  cooldownMs?: number;
}

export const reflexAttrs = ['tick/price', 'tick/volume'] as const;

export function inBand(reflex: Pick<Reflex, 'above' | 'below'>, value: number): boolean {
  return (
    (reflex.above === undefined || value > reflex.above) &&
    (reflex.below === undefined || value < reflex.below)
  );
}

/** The rules a reflex breaks, as messages naming the field. */
export function reflexErrors(reflex: Reflex): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  const bad = (field: string, message: string) => errors.push({ field, message });
  if (typeof reflex?.id !== 'string' || reflex.id.length === 0) bad('id', 'must be a non-empty string');
  if (typeof reflex?.market !== 'string' || reflex.market.length === 0)
    bad('market', 'must be a non-empty string');
  if (reflex?.attr !== undefined && !reflexAttrs.includes(reflex.attr))
    bad('attr', 'must be tick/price or tick/volume');
  for (const field of ['above', 'below'] as const) {
    const x = reflex?.[field];
    if (x !== undefined && (typeof x !== 'number' || !Number.isFinite(x)))
      bad(field, 'must be a finite number');
  }
  if (reflex?.above === undefined && reflex?.below === undefined)
    bad('above', 'a reflex needs above, below or both');
  const cooldown = reflex?.cooldownMs;
  if (cooldown !== undefined && (!Number.isSafeInteger(cooldown) || cooldown < 0)) {
    bad('cooldownMs', 'must be an integer ≥ 0');
  }
  return errors;
}
