/** gswarm/client: the typed client of a Gswarm server. */

export type {
  Alert,
  AsOfResponse,
  CountResponse,
  DistinctResponse,
  ErrorBody,
  HotResponse,
  IngestResult,
  Market,
  Reflex,
  RowError,
  StatusResponse,
  Tick,
} from '../api/wire.js';
export { type IngestTotals, TickBatcher, type TickBatcherOptions } from './batcher.js';
export {
  type AlertStreamOptions,
  type BodyEncoding,
  type ClientOptions,
  GswarmClient,
  type IngestBatch,
  type SketchWindow,
} from './client.js';
export { GswarmHttpError } from './errors.js';
export { GswarmConnectionError } from './transport.js';
