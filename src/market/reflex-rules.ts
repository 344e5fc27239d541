/**
 * Reflex rules, pure. A reflex watches one attribute (tick/price by default) of one market's
 * ticks, and states one of four intents:
 *
 *   above: x                 the value rises above x
 *   below: y                 the value falls below y
 *   enters: { low, high }    the value moves into the band: low < value < high
 *   leaves: { low, high }    the value breaks out of the band: value > high or value < low
 *
 * Each defines a region of values, "in band" below. Firing is edge-triggered: a reflex fires on a
 * tick whose value is in its region when the market's previous tick (in log order) was not; it
 * fires again only after a tick outside the region (a breakout straight from above `high` to
 * below `low` stays out of the band and does not fire twice). The bounds themselves are never in
 * the region. `cooldownMs` further suppresses a firing within that much event time (tick/ts) of
 * the reflex's previous alert; a suppressed entry still counts as being in the region.
 *
 * A rule that could never fire is refused: `above` with `below` (which intent?), an empty band,
 * a region entirely below 0 (prices and volumes are never negative).
 */
export interface Band {
  low: number;
  high: number;
}

export interface Reflex {
  id: string;
  market: string;
  attr?: 'tick/price' | 'tick/volume';
  above?: number;
  below?: number;
  enters?: Band;
  leaves?: Band;
  cooldownMs?: number;
}

export const reflexAttrs = ['tick/price', 'tick/volume'] as const;

/**
 * A reflex's region as stored: bounds joined by "and" (above, below, enters) or by "or" (leaves).
 * A band is stored as `enters`: above low and below high; `leaves`: above high or below low.
 */
export interface Bounds {
  above?: number;
  below?: number;
  band?: 'enters' | 'leaves';
}

export function boundsOf(reflex: Reflex): Bounds {
  if (reflex.enters) return { above: reflex.enters.low, below: reflex.enters.high, band: 'enters' };
  if (reflex.leaves) return { above: reflex.leaves.high, below: reflex.leaves.low, band: 'leaves' };
  return { above: reflex.above, below: reflex.below };
}

/** The intent stored bounds express; both bounds without a band are the older form of `enters`. */
export function intentOf({
  above,
  below,
  band,
}: Bounds): Pick<Reflex, 'above' | 'below' | 'enters' | 'leaves'> {
  if (above !== undefined && below !== undefined) {
    return band === 'leaves'
      ? { leaves: { low: below, high: above } }
      : { enters: { low: above, high: below } };
  }
  return above !== undefined ? { above } : { below };
}

export function inBand(bounds: Bounds, value: number): boolean {
  const over = bounds.above !== undefined && value > bounds.above;
  const under = bounds.below !== undefined && value < bounds.below;
  if (bounds.band === 'leaves') return over || under;
  return (bounds.above === undefined || over) && (bounds.below === undefined || under);
}

type ReflexError = { field: string; message: string };

/** The rules a reflex breaks, as messages naming the field. */
export function reflexErrors(reflex: Reflex): ReflexError[] {
  const errors: ReflexError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, message });
  if (typeof reflex?.id !== 'string' || reflex.id.length === 0) bad('id', 'must be a non-empty string');
  if (typeof reflex?.market !== 'string' || reflex.market.length === 0)
    bad('market', 'must be a non-empty string');
  if (reflex?.attr !== undefined && !reflexAttrs.includes(reflex.attr))
    bad('attr', 'must be tick/price or tick/volume');
  const cooldown = reflex?.cooldownMs;
  if (cooldown !== undefined && (!Number.isSafeInteger(cooldown) || cooldown < 0)) {
    bad('cooldownMs', 'must be an integer ≥ 0');
  }
  errors.push(...intentErrors(reflex));
  return errors;
}

const intents = ['above', 'below', 'enters', 'leaves'] as const;

function intentErrors(reflex: Reflex): ReflexError[] {
  const given = intents.filter((field) => reflex?.[field] !== undefined);
  if (given.length === 0)
    return [{ field: 'above', message: 'a reflex needs above, below, enters or leaves' }];
  if (given.length > 1) {
    const both = given.includes('above') && given.includes('below');
    return [
      {
        field: given[1],
        message: both
          ? 'above and below together are ambiguous: give enters: { low, high } (fires as the value moves ' +
            'into the band) or leaves: { low, high } (fires as it breaks out above high or below low)'
          : `give one of above, below, enters or leaves, not ${given.join(' and ')}`,
      },
    ];
  }
  const [field] = given;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  if (field === 'above' || field === 'below') {
    const bound = reflex[field];
    if (!finite(bound)) return [{ field, message: 'must be a finite number' }];
    if (field === 'below' && (bound as number) <= 0)
      return [
        { field, message: 'must be above 0: the value is never negative, so the reflex could never fire' },
      ];
    return [];
  }
  const band = reflex[field] as Band;
  for (const end of ['low', 'high'] as const) {
    if (!finite(band?.[end])) return [{ field: `${field}.${end}`, message: 'must be a finite number' }];
  }
  if (band.low >= band.high)
    return [{ field: `${field}.low`, message: 'must be below high: the band is empty' }];
  if (field === 'enters' && band.high <= 0)
    return [
      {
        field: `${field}.high`,
        message: 'must be above 0: the value is never negative, so the reflex could never fire',
      },
    ];
  return [];
}
