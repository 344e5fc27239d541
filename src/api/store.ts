/** What the HTTP API needs from the market store (src/market/swarm.ts). */
import type { Swarm } from '../market/swarm.js';

export type Store = Pick<
  Swarm,
  | 'ingest'
  | 'latest'
  | 'count'
  | 'ticks'
  | 'putReflex'
  | 'reflexes'
  | 'deleteReflex'
  | 'alerts'
  | 'onAlert'
  | 'commitStats'
  | 'conn'
  | 'query'
  | 'accepting'
  | 'sketches'
>;

export type { Alert as StoreAlert, Reflex as StoreReflex } from '../market/swarm.js';
