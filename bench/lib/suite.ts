/** What a suite is and what it reports: rows of one metric each, Gswarm beside its peer. */
export interface Context {
  /** The size factor from --scale (1 = the full sizes of the issues). */
  scale: number;
  /** `n` scaled, at least `min`. */
  scaled(n: number, min?: number): number;
  /** Progress, on stderr. */
  log(line: string): void;
}

export interface Row {
  metric: string;
  gswarm: string;
  peer?: string;
  /** Gswarm's advantage over the peer (>1: Gswarm is better). */
  ratio?: string;
  target?: string;
  /** Whether the target is met; undefined when there is no target. */
  met?: boolean;
}

export interface Suite {
  name: string;
  title: string;
  /** The peer this suite compares against, if any. */
  peer?: string;
  run(ctx: Context): Promise<Row[]>;
}
