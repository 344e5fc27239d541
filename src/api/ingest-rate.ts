/** Ticks accepted per second over a sliding window of whole seconds, for /v2/status. */
export class IngestRate {
  private readonly counts: number[];
  private readonly seconds: number[];

  constructor(private readonly windowS = 10) {
    this.counts = new Array(windowS).fill(0);
    this.seconds = new Array(windowS).fill(-1);
  }

  record(ticks: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.windowS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot] += ticks;
  }

  perSecond(nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    let ticks = 0;
    for (let slot = 0; slot < this.windowS; slot++) {
      if (second - this.seconds[slot] < this.windowS) ticks += this.counts[slot];
    }
    return ticks / this.windowS;
  }
}
