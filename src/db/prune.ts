/**
 * Retention: a store without the datoms of pruned entities committed before a horizon tx.
 *
 * Dropped are the datoms of prunable attributes (the ticks') in txs before the horizon, except on
 * entities that a datom of another attribute refers to (an alert's tick is kept, so the alert
 * still names it), and every later retraction of a dropped assertion (it would end an assertion
 * no longer there). Everything else is kept, with its entity ids and tx ids. Txs before the
 * horizon that keep no datom are dropped; every tx from the horizon on is kept. Reads as of a tx
 * before the horizon are refused (`GSW_ERR_GONE`): they would be silently partial.
 *
 * The result is exactly the store that would hold had only the kept datoms ever been written (the
 * differential tests hold it to that), made by compacting the columns rather than by appending
 * datom by datom: positions are renumbered, entity chains skip dropped links, the attribute lists
 * and the tx table are filtered, strings are copied into a new interner, the value postings are
 * rebuilt and the prunable attributes' counts recounted. It is built beside the old store, which
 * is left untouched, so views already taken of it stay whole.
 */
import { assert } from './assert.js';
import { DatomStore, NONE } from './datoms.js';
import { Interner } from './intern.js';
import { Postings } from './postings.js';
import { usesStrings } from './values.js';

/**
 * The store `store` would be had the entities it prunes (see above) never been given their
 * prunable datoms before tx id `horizonTx`. `prunable`: attribute ids.
 */
export function pruneStore(store: DatomStore, horizonTx: number, prunable: ReadonlySet<number>): DatomStore {
  assert(horizonTx >= store.horizonTx, 'a horizon only moves forward');
  const slots = store.schema.bySlot;
  const prunableSlot = slots.map((attr) => prunable.has(attr.id));
  const firstKeptTx = store.txIndexAsOf(horizonTx - 1) + 1;
  const dropped = droppedPositions(store, store.boundAfter(firstKeptTx - 1), prunableSlot);
  const { newPosition, kept } = renumber(dropped);
  const columns = compactColumns(store, dropped, newPosition, kept);
  const strings = new Interner({ strings: store.strings.size, bytes: store.strings.byteLength });
  copyStrings(
    store,
    columns.v,
    columns.a,
    strings,
    slots.map((attr) => usesStrings(attr.valueType)),
  );
  const txs = compactTxs(store, newPosition, firstKeptTx);
  const byAttr = store.byAttr.map((list) => keptPositions(list.view(), newPosition));
  const liveValues = new Uint32Array(store.localMax + 1);
  const counts = store.counts.map((timeline, slot) =>
    prunableSlot[slot]
      ? recount(byAttr[slot]!, columns, txs.starts, liveValues)
      : {
          txIndex: timeline.txIndex.view().map((t) => keptTx(txs.remap, t)),
          count: timeline.count.view().slice(),
        },
  );
  return DatomStore.fromParts({
    entityBase: store.entityBase,
    horizonTx,
    strings,
    columns: {
      ...columns,
      lastOfEntity: store.lastOfEntity.view().map((p) => keptLink(store, dropped, newPosition, p)),
      txIds: txs.ids,
      txInstants: txs.instants,
      txStarts: txs.starts,
    },
    byAttr,
    avet: store.avet.map((postings, slot) => postings && postingsOf(byAttr[slot]!, columns.v)),
    counts,
    schemas: store.schemas.map(({ txIndex, schema }) => ({
      txIndex: txIndex < 0 ? txIndex : keptTx(txs.remap, txIndex),
      schema,
    })),
  });
}

/** Per position, 1 when the datom is dropped. */
function droppedPositions(store: DatomStore, bound: number, prunableSlot: readonly boolean[]): Uint8Array {
  const referred = referredLocals(store, prunableSlot);
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

/** Each kept position's new position (NONE for a dropped one), and how many are kept. */
function renumber(dropped: Uint8Array): { newPosition: Uint32Array; kept: number } {
  const newPosition = new Uint32Array(dropped.length);
  let kept = 0;
  for (let p = 0; p < dropped.length; p++) newPosition[p] = dropped[p] === 1 ? NONE : kept++;
  return { newPosition, kept };
}

/** The new position of the first kept datom at or before `p` on its entity's chain, or NONE. */
function keptLink(store: DatomStore, dropped: Uint8Array, newPosition: Uint32Array, p: number): number {
  while (p !== NONE && dropped[p] === 1) p = store.prevOfEntity.data[p]!;
  return p === NONE ? NONE : newPosition[p]!;
}

function compactColumns(store: DatomStore, dropped: Uint8Array, newPosition: Uint32Array, kept: number) {
  const e = new Uint32Array(kept);
  const a = new Uint16Array(kept);
  const v = new Float64Array(kept);
  const added = new Uint8Array(kept);
  const prevOfEntity = new Uint32Array(kept);
  const retractedAt = new Uint32Array(kept);
  const [oldE, oldA, oldV, oldAdded] = [store.e.data, store.a.data, store.v.data, store.added.data];
  const [oldPrev, oldRetractedAt] = [store.prevOfEntity.data, store.retractedAt.data];
  for (let p = 0, q = 0; p < dropped.length; p++) {
    if (dropped[p] === 1) continue;
    e[q] = oldE[p]!;
    a[q] = oldA[p]!;
    v[q] = oldV[p]!;
    added[q] = oldAdded[p]!;
    const prev = oldPrev[p]!;
    prevOfEntity[q] =
      prev === NONE
        ? NONE
        : dropped[prev] === 0
          ? newPosition[prev]!
          : keptLink(store, dropped, newPosition, prev);
    const retraction = oldRetractedAt[p]!;
    retractedAt[q] = retraction === NONE ? NONE : newPosition[retraction]!;
    assert(retraction === NONE || retractedAt[q] !== NONE, 'a kept assertion keeps its retraction');
    q++;
  }
  return { e, a, v, added, prevOfEntity, retractedAt };
}

/** Interns the kept string values anew, rewriting `v` in place; each distinct one is copied once. */
function copyStrings(
  store: DatomStore,
  v: Float64Array,
  a: Uint16Array,
  strings: Interner,
  stringSlot: readonly boolean[],
): void {
  const copied = new Float64Array(store.strings.size).fill(-1);
  for (let q = 0; q < v.length; q++) {
    if (!stringSlot[a[q]!]) continue;
    const old = v[q]!;
    if (copied[old]! < 0) copied[old] = strings.addFrom(store.strings, old);
    v[q] = copied[old]!;
  }
}

/** The kept txs (those from the horizon on, and earlier ones keeping a datom), renumbered. */
function compactTxs(store: DatomStore, newPosition: Uint32Array, firstKeptTx: number) {
  const remap = new Int32Array(store.txCount).fill(-1);
  const ids: number[] = [];
  const instants: number[] = [];
  const starts: number[] = [];
  let nextKept = 0;
  for (let t = 0; t < store.txCount; t++) {
    const end = store.boundAfter(t);
    let p = store.txStarts.get(t);
    while (p < end && newPosition[p] === NONE) p++;
    if (p === end && t < firstKeptTx) continue;
    remap[t] = ids.length;
    ids.push(store.txIds.get(t));
    instants.push(store.txInstants.get(t));
    starts.push(nextKept);
    for (; p < end; p++) if (newPosition[p] !== NONE) nextKept++;
  }
  return {
    remap,
    ids: Float64Array.from(ids),
    instants: Float64Array.from(instants),
    starts: Uint32Array.from(starts),
  };
}

/** A tx's new index: it holds datoms of kept attributes, so it is kept. */
function keptTx(remap: Int32Array, txIndex: number): number {
  assert(remap[txIndex]! >= 0, 'a tx that changed a kept attribute is kept');
  return remap[txIndex]!;
}

function keptPositions(positions: Uint32Array, newPosition: Uint32Array): Uint32Array {
  let n = 0;
  for (const p of positions) if (newPosition[p] !== NONE) n++;
  const out = new Uint32Array(n);
  let i = 0;
  for (const p of positions) if (newPosition[p] !== NONE) out[i++] = newPosition[p]!;
  return out;
}

function postingsOf(positions: Uint32Array, v: Float64Array): Postings {
  const postings = new Postings(positions.length);
  for (const p of positions) postings.add(v[p]!, p);
  return postings;
}

/**
 * An attribute's count timeline, recounted from its kept datoms: the number of entities with a
 * live value after each tx that changed it (an assertion of an entity's first live value adds
 * one, a retraction of its last takes one away, as the store counts when appending).
 */
function recount(
  positions: Uint32Array,
  columns: { e: Uint32Array; added: Uint8Array },
  txStarts: Uint32Array,
  liveValues: Uint32Array,
): { txIndex: Uint32Array; count: Float64Array } {
  const txIndex: number[] = [];
  const count: number[] = [];
  let total = 0;
  let tx = -1;
  let before = 0;
  const close = () => {
    if (tx >= 0 && total !== before) {
      txIndex.push(tx);
      count.push(total);
    }
  };
  let t = -1;
  for (const p of positions) {
    // The last tx starting at or before p: a tx kept with no datom starts where the next does.
    while (t + 1 < txStarts.length && txStarts[t + 1]! <= p) t++;
    if (t !== tx) {
      close();
      tx = t;
      before = total;
    }
    const e = columns.e[p]!;
    if (columns.added[p] === 1) {
      if (liveValues[e]!++ === 0) total++;
    } else {
      assert(liveValues[e]! > 0, 'a retraction ends a live value');
      if (--liveValues[e]! === 0) total--;
    }
  }
  close();
  for (const p of positions) liveValues[columns.e[p]!] = 0;
  return { txIndex: Uint32Array.from(txIndex), count: Float64Array.from(count) };
}
