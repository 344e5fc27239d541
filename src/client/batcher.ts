/**
 * Groups ticks into batches and sends several at once. A producer that outruns the server waits in
 * `add` (at most `concurrencyMax` batches in flight), so memory stays bounded. A batch that
 * declares markets is sent alone, before any later batch, since later ticks may refer to them.
 */
import type { IngestResult, Market, Tick } from '../api/wire.js';
import type { IngestBatch } from './client.js';

export interface TickBatcherOptions {
  batchTicksMax: number;
  /** How long a partial batch waits for more ticks before it is sent anyway. */
  lingerMs: number;
  concurrencyMax: number;
}

export interface IngestTotals {
  batches: number;
  accepted: number;
  duplicates: number;
  /** The highest tx acknowledged so far. */
  lastTx: number;
}

export class TickBatcher {
  readonly totals: IngestTotals = { batches: 0, accepted: 0, duplicates: 0, lastTx: 0 };
  private readonly options: TickBatcherOptions;
  private markets: Market[] = [];
  private ticks: Tick[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private dispatching: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (batch: IngestBatch) => Promise<IngestResult>,
    options: Partial<TickBatcherOptions> = {},
  ) {
    this.options = { batchTicksMax: 5000, lingerMs: 20, concurrencyMax: 4, ...options };
  }

  addMarket(market: Market): Promise<void> {
    this.markets.push(market);
    return this.afterAdd();
  }

  add(tick: Tick): Promise<void> {
    this.ticks.push(tick);
    return this.afterAdd();
  }

  /** Sends what is buffered and waits until every batch is acknowledged. */
  async flush(): Promise<IngestTotals> {
    await this.sendBuffered();
    await Promise.all(this.inFlight);
    this.throwFailure();
    return this.totals;
  }

  /**
   * Gives up: drops what is buffered and waits for every batch already sent to be answered,
   * without throwing, so `totals` is final.
   */
  async settle(): Promise<IngestTotals> {
    clearTimeout(this.lingerTimer);
    this.markets = [];
    this.ticks = [];
    await this.dispatching.catch(() => undefined);
    await Promise.all(this.inFlight);
    return this.totals;
  }

  private async afterAdd(): Promise<void> {
    this.throwFailure();
    if (this.ticks.length >= this.options.batchTicksMax) await this.sendBuffered();
    else
      this.lingerTimer ??= setTimeout(
        () => this.sendBuffered().catch(() => undefined),
        this.options.lingerMs,
      );
  }

  /** Queues the buffer for dispatch; dispatches run one after another, so the limits hold exactly. */
  private sendBuffered(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.markets.length > 0 || this.ticks.length > 0) {
      const batch = { markets: this.markets, ticks: this.ticks };
      this.markets = [];
      this.ticks = [];
      this.dispatching = this.dispatching.then(() => this.dispatch(batch));
    }
    return this.dispatching;
  }

  private async dispatch(batch: { markets: Market[]; ticks: Tick[] }): Promise<void> {
    const declaresMarkets = batch.markets.length > 0;
    while (this.inFlight.size >= (declaresMarkets ? 1 : this.options.concurrencyMax)) {
      await Promise.race(this.inFlight);
    }
    const sending = this.send(batch).then(
      (result) => {
        this.totals.batches++;
        this.totals.accepted += result.accepted;
        this.totals.duplicates += result.duplicates;
        this.totals.lastTx = Math.max(this.totals.lastTx, result.tx);
      },
      (error) => {
        this.failure ??= error;
      },
    );
    const tracked: Promise<void> = sending.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    if (declaresMarkets) await tracked;
  }

  private throwFailure(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
