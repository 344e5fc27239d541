/** A progress line on stderr: redrawn in place on a terminal, one line a second otherwise. */
export class Progress {
  private readonly startedMs = performance.now();
  private lastDrawMs = 0;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(count: number, force = false): void {
    const nowMs = performance.now();
    const intervalMs = this.stream.isTTY ? 100 : 1000;
    if (!force && nowMs - this.lastDrawMs < intervalMs) return;
    this.lastDrawMs = nowMs;
    const seconds = (nowMs - this.startedMs) / 1000;
    const rate = seconds > 0 ? Math.round(count / seconds) : 0;
    const line = `${this.label} ${count.toLocaleString('en')} (${rate.toLocaleString('en')}/s, ${seconds.toFixed(1)} s)`;
    this.stream.write(this.stream.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
  }

  done(count: number): void {
    this.update(count, true);
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
