/** Where a database keeps its log and checkpoints. */
export type Storage = { readonly kind: 'memory' } | { readonly kind: 'persistent'; readonly path: string };

export const storage = {
  /** Nothing survives the process: for tests and scratch work. */
  memory: (): Storage => ({ kind: 'memory' }),
  /** A directory holding the LMDB log (`log.mdb`) and the latest checkpoint. */
  persistent: (path: string): Storage => ({ kind: 'persistent', path }),
};
