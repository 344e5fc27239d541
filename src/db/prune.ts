/**
 * Retention: a store without the datoms of pruned entities committed before a horizon tx.
 *
 * An entity is pruned when it has a datom of a prunable attribute (the ticks' attributes) in a tx
 * before the horizon and no datom of another attribute refers to it (an alert's tick is kept, so
 * the alert still names it). Dropped are its datoms of prunable attributes before the horizon,
 * and any later retraction of one of them (which would otherwise end an assertion no longer
 * there). Everything else is kept, with its entity ids and tx ids.
 *
 * The result is built by appending the kept datoms, tx by tx, to a new store: it is exactly the
 * store that would hold had only those datoms ever been written (indices, counts, strings,
 * schema), which is what the differential test holds it to. Txs before the horizon that keep no
 * datom are dropped; every tx from the horizon on is kept. Reads as of a tx before the horizon are
 * refused (`GSW_ERR_GONE`): they would be silently partial. The old store is left untouched, so
 * views already taken of it stay whole.
 */
import { assert } from './assert.js';
import { DatomStore, NONE } from './datoms.js';
import { usesStrings } from './values.js';

/**
 * The store `store` would be had the entities it prunes (see above) never been given their
 * prunable datoms before tx id `horizonTx`. `prunable`: attribute ids.
 */
export function pruneStore(store: DatomStore, horizonTx: number, prunable: ReadonlySet<number>): DatomStore {
  assert(horizonTx >= store.horizonTx, 'a horizon only moves forward');
  const schema = store.schema;
  const prunableSlot = schema.bySlot.map((attr) => prunable.has(attr.id));
  const stringSlot = schema.bySlot.map((attr) => usesStrings(attr.valueType));
  const firstKeptTx = store.txIndexAsOf(horizonTx - 1) + 1;
  const bound = store.boundAfter(firstKeptTx - 1);
  const dropped = droppedPositions(store, bound, prunableSlot, referredLocals(store, prunableSlot));

  const next = new DatomStore(store.entityBase);
  next.horizonTx = horizonTx;
  while (next.localMax < store.localMax) next.allocateEntity();
  const { e, a, v, added, txIds, txInstants } = store;
  for (let t = 0; t < store.txCount; t++) {
    const start = store.txStarts.get(t);
    const end = store.boundAfter(t);
    let kept = t >= firstKeptTx;
    for (let p = start; p < end && !kept; p++) kept = dropped[p] === 0;
    if (!kept) continue;
    next.beginTx(txIds.get(t), txInstants.get(t));
    for (let p = start; p < end; p++) {
      if (dropped[p] === 1) continue;
      const slot = a.data[p]!;
      const raw = stringSlot[slot] ? next.strings.internFrom(store.strings, v.data[p]!) : v.data[p]!;
      next.append(e.data[p]!, slot, raw, added.data[p] === 1);
    }
    next.endTx();
  }
  return next;
}

/** Locals that a datom of a non-prunable ref attribute refers to: they are kept. */
function referredLocals(store: DatomStore, prunableSlot: readonly boolean[]): Uint8Array {
  const referred = new Uint8Array(store.localMax + 1);
  for (const attr of store.schema.bySlot) {
    if (attr.valueType !== 'ref' || prunableSlot[attr.slot]) continue;
    const positions = store.byAttr[attr.slot]!;
    for (let i = 0; i < positions.length; i++) {
      const local = store.localOf(store.v.data[positions.data[i]!]!);
      if (local >= 0) referred[local] = 1;
    }
  }
  return referred;
}

/** Per position, 1 when the datom is dropped. */
function droppedPositions(
  store: DatomStore,
  bound: number,
  prunableSlot: readonly boolean[],
  referred: Uint8Array,
): Uint8Array {
  const { e, a, added, retractedAt } = store;
  const dropped = new Uint8Array(store.datomCount);
  for (let p = 0; p < bound; p++) {
    if (!prunableSlot[a.data[p]!] || referred[e.data[p]!] === 1) continue;
    dropped[p] = 1;
    const retraction = retractedAt.data[p]!;
    if (added.data[p] === 1 && retraction !== NONE) dropped[retraction] = 1;
  }
  return dropped;
}
