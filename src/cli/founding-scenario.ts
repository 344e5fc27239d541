/**
 * The founding scenario: markets with a price band each, and ticks that stay inside the bands
 * except one spike per market. Deterministic, so the alerts it must raise are known exactly.
 */
import type { Market, Reflex, Tick } from '../api/wire.js';

export interface FoundingScenario {
  markets: Market[];
  reflexes: Reflex[];
  ticks: Tick[];
  /** Exactly the alerts the ticks must raise, as `reflex id → tick id`. */
  expectedAlerts: Map<string, string>;
}

export interface ScenarioShape {
  /** Prefixes every id, so runs against one server do not collide. */
  runId: string;
  marketCount: number;
  tickCount: number;
  /** Event time of the first tick, epoch ms. */
  startMs: number;
}

const basePrice = 100;
const spikePrice = 200;
const bandAbove = 150;
const bandBelow = 50;

export function foundingScenario({
  runId,
  marketCount,
  tickCount,
  startMs,
}: ScenarioShape): FoundingScenario {
  const markets = Array.from({ length: marketCount }, (_, m) => ({
    id: `${runId}-M${m}`,
    name: `Market ${m}`,
  }));
  const reflexes: Reflex[] = markets.flatMap((market) => [
    { id: `${market.id}-spike`, market: market.id, attr: 'tick/price' as const, above: bandAbove },
    { id: `${market.id}-crash`, market: market.id, attr: 'tick/price' as const, below: bandBelow },
  ]);
  const ticksPerMarket = Math.ceil(tickCount / marketCount);
  const spikeAt = Math.floor(ticksPerMarket / 2);
  const ticks: Tick[] = [];
  const expectedAlerts = new Map<string, string>();
  for (let i = 0; ticks.length < tickCount; i++) {
    const market = markets[i % marketCount];
    const n = Math.floor(i / marketCount);
    const id = `${market.id}-T${n}`;
    const spike = n === spikeAt;
    // A deterministic wiggle within a cent of the base price keeps every other tick in its band.
    const price = spike ? spikePrice : basePrice + ((n * 7919) % 100) / 100;
    ticks.push({ id, market: market.id, price, volume: 1 + (n % 10), ts: startMs + n });
    if (spike) expectedAlerts.set(`${market.id}-spike`, id);
  }
  return { markets, reflexes, ticks, expectedAlerts };
}
