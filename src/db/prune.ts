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
 * differential tests hold it to that). It is built beside the old store, which is left untouched
 * (views already taken of it stay whole), in two parts:
 * - `steps` compacts the datoms the store held when the build began, yielding every few thousand
 *   datoms so that a caller can spread the work over many turns of the event loop while txs go on
 *   being appended to the old store: positions are renumbered, entity chains skip dropped links,
 *   the attribute lists and the tx table are filtered, distinct strings are copied into a new
 *   interner, the value postings are rebuilt and the prunable attributes' counts recounted.
 * - `finish` appends the txs that arrived meanwhile to the new store, as any tx is appended, and
 *   returns it: short, and synchronous, so nothing comes between it and the swap.
 */
import { assert } from './assert.js';
import { BitColumn } from './bit-column.js';
import { countBelow } from './columns.js';
import { DatomStore, NONE } from './datoms.js';
import { EntityColumn } from './entity-column.js';
import { Interner } from './intern.js';
import { EntityLinks } from './links.js';
import { PositionList } from './position-list.js';
import { Postings } from './postings.js';
import { Retractions } from './retractions.js';
import { ValueColumn } from './value-column.js';
import { usesStrings } from './values.js';

/** Datoms handled between two yields of a build's steps. */
const stepDatoms = 1 << 16;
/** Datoms arrived during a build that `finish` appends at once; more are caught up in steps. */
const finishDatomsMaxDefault = 1 << 14;

type RoomyArray<T> = { new (length: number): T };

/**
 * A `length`-long array at the start of a buffer of its own with room for a quarter more (the
 * pruned store's columns go on growing: without room, the first tx after a swap copies them all).
 */
function withRoom<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(
  ctor: RoomyArray<T>,
  length: number,
): T {
  return new ctor(length + (length >> 2) + 16).subarray(0, length) as T;
}

/** A prune being built (see above): run `steps` to the end, then call `finish` once. */
export interface PruneBuild {
  readonly steps: Generator<void, void, void>;
  finish(): DatomStore;
}

/**
 * The store `store` would be had the entities it prunes (see above) never been given their
 * prunable datoms before tx id `horizonTx`, at once. `prunable`: attribute ids.
 */
export function pruneStore(store: DatomStore, horizonTx: number, prunable: ReadonlySet<number>): DatomStore {
  const build = startPrune(store, horizonTx, prunable);
  for (const _ of build.steps);
  return build.finish();
}

/**
 * Starts a prune of `store` (see pruneStore) to be run in steps while `store` takes txs. Txs of
 * more than `finishDatomsMax` datoms in all that arrived meanwhile are caught up in steps of
 * `tailStepDatoms`; `finish` appends the rest.
 */
export function startPrune(
  store: DatomStore,
  horizonTx: number,
  prunable: ReadonlySet<number>,
  { finishDatomsMax = finishDatomsMaxDefault, tailStepDatoms = stepDatoms } = {},
): PruneBuild {
  assert(horizonTx >= store.horizonTx, 'a horizon only moves forward');
  // What the build covers: the store as it is now. Txs appended later are the catch-up's.
  const end = {
    datoms: store.datomCount,
    txs: store.txCount,
    locals: store.localMax,
    strings: store.strings.size,
  };
  const slots = store.schema.bySlot;
  let built: { store: DatomStore; appended: { txs: number } } | undefined;
  /** Per local below the build's end: 1 when it lost datoms. */
  let thinned: Uint8Array | undefined;
  function* steps(): Generator<void, void, void> {
    const prunableSlot = slots.map((attr) => prunable.has(attr.id));
    const firstKeptTx = Math.min(store.txIndexAsOf(horizonTx - 1) + 1, end.txs);
    const bound = firstKeptTx < end.txs ? store.txStarts.get(firstKeptTx) : end.datoms;
    const dropped = new Uint8Array(end.datoms);
    thinned = new Uint8Array(end.locals + 1);
    yield* markDropped(
      store,
      bound,
      prunableSlot,
      dropped,
      yield* referredLocals(store, end, prunableSlot),
      thinned,
    );
    const newPosition = new Uint32Array(end.datoms);
    let kept = 0;
    for (let p = 0; p < end.datoms; p++) {
      newPosition[p] = dropped[p] === 1 ? NONE : kept++;
      if ((p & (stepDatoms - 1)) === 0) yield;
    }
    const strings = new Interner({ strings: end.strings, bytes: store.strings.byteLength });
    const { columns, values, entities, added, links, retractions } = yield* compactColumns(
      store,
      dropped,
      newPosition,
      kept,
      keptValue(
        store,
        strings,
        slots.map((attr) => usesStrings(attr.valueType)),
      ),
    );
    const txs = compactTxs(store, end.txs, newPosition, firstKeptTx);
    yield;
    // Slots declared after the build began are the catch-up's.
    const byAttr: PositionList[] = [];
    const avet: (Postings | undefined)[] = [];
    const counts: { txIndex: Uint32Array; count: Float64Array }[] = [];
    const liveValues = new Uint32Array(end.locals + 1);
    for (let slot = 0; slot < slots.length; slot++) {
      const positions = yield* keptPositions(store.byAttr[slot]!, end.datoms, newPosition);
      byAttr.push(positions);
      avet.push(
        store.avet[slot] && (yield* postingsOf(positions, values, usesStrings(slots[slot]!.valueType))),
      );
      const timeline = store.counts[slot]!;
      if (prunableSlot[slot]) counts.push(yield* recount(positions, entities, added, txs.starts, liveValues));
      else {
        const n = countBelow(timeline.txIndex.data, timeline.txIndex.length, end.txs);
        const txIndex = timeline.txIndex.data.subarray(0, n).map((t) => keptTx(txs.remap, t));
        counts.push({ txIndex, count: timeline.count.data.slice(0, n) });
      }
    }
    const lastOfEntity = withRoom(Uint32Array, end.locals + 1);
    for (let local = 0; local <= end.locals; local++) {
      lastOfEntity[local] = keptLink(store, dropped, newPosition, store.lastOfEntity.get(local), end.datoms);
      if ((local & (stepDatoms - 1)) === 0) yield;
    }
    const next = DatomStore.fromParts({
      room: true,
      entityBase: store.entityBase,
      horizonTx,
      strings,
      columns: { ...columns, lastOfEntity, txIds: txs.ids, txInstants: txs.instants, txStarts: txs.starts },
      entities,
      values,
      added,
      links,
      retractions,
      byAttr,
      avet,
      counts,
      // Schema versions from txs after the build began are the catch-up's.
      schemas: store.schemas
        .filter(({ txIndex }) => txIndex < end.txs)
        .map(({ txIndex, schema }) => ({
          txIndex: txIndex < 0 ? txIndex : keptTx(txs.remap, txIndex),
          schema,
        })),
    });
    // Catch up with the txs that arrived meanwhile, in steps too, until few are left for finish.
    const appended = { txs: end.txs };
    while (store.datomCount - store.boundAfter(appended.txs - 1) > finishDatomsMax) {
      yield* appendTail(store, next, appended, store.txCount, tailStepDatoms);
    }
    built = { store: next, appended };
  }
  return {
    steps: steps(),
    finish(): DatomStore {
      assert(built !== undefined && thinned !== undefined, 'a prune is finished after its steps');
      // A ref made meanwhile to an entity the build thinned keeps that entity whole: build again,
      // at once (only a tx naming an old tick by hand does that).
      if (refersToThinned(store, end, prunable, thinned)) return pruneStore(store, horizonTx, prunable);
      for (const _ of appendTail(store, built.store, built.appended, store.txCount, stepDatoms));
      built.store.horizonTx = Math.max(horizonTx, store.horizonTx);
      return built.store;
    },
  };
}

/** Locals that a datom of a non-prunable ref attribute refers to: they are kept. */
function* referredLocals(
  store: DatomStore,
  end: { datoms: number; locals: number },
  prunableSlot: readonly boolean[],
): Generator<void, Uint8Array, void> {
  const referred = new Uint8Array(end.locals + 1);
  for (const [slot, prunable] of prunableSlot.entries()) {
    if (prunable || store.schema.bySlot[slot]!.valueType !== 'ref') continue;
    const positions = store.byAttr[slot]!;
    const n = positions.countBelow(end.datoms);
    for (let i = 0; i < n; i++) {
      const local = store.localOf(store.v.at(positions.at(i)));
      if (local >= 0 && local <= end.locals) referred[local] = 1;
      if ((i & (stepDatoms - 1)) === 0) yield;
    }
  }
  return referred;
}

/** Marks the dropped positions (1) below `bound`, and the retractions of dropped assertions. */
function* markDropped(
  store: DatomStore,
  bound: number,
  prunableSlot: readonly boolean[],
  dropped: Uint8Array,
  referred: Uint8Array,
  thinned: Uint8Array,
): Generator<void, void, void> {
  const { entities, a, added, retractions } = store;
  for (let p = 0; p < bound; p++) {
    if ((p & (stepDatoms - 1)) === 0) yield;
    const local = entities.at(p);
    if (!prunableSlot[a.data[p]!] || referred[local] === 1) continue;
    dropped[p] = 1;
    thinned[local] = 1;
    // A retraction appended after the build began is the catch-up's to skip.
    const retraction = retractions.end(p);
    if (added.has(p) && retraction < dropped.length) dropped[retraction] = 1;
  }
}

/** The new position of the first kept datom at or before `p` (below `end`) on its chain, or NONE. */
function keptLink(
  store: DatomStore,
  dropped: Uint8Array,
  newPosition: Uint32Array,
  p: number,
  end: number,
): number {
  while (p !== NONE && (p >= end || dropped[p] === 1)) p = store.links.previous(p);
  return p === NONE ? NONE : newPosition[p]!;
}

function* compactColumns(
  store: DatomStore,
  dropped: Uint8Array,
  newPosition: Uint32Array,
  kept: number,
  keptRaw: (slot: number, raw: number) => number,
) {
  const entities = new EntityColumn();
  entities.reserve(kept);
  // Slots as narrow as the store's: every one kept was held by it.
  const a = withRoom<Uint8Array | Uint16Array>(
    store.a.data instanceof Uint8Array ? Uint8Array : Uint16Array,
    kept,
  );
  const values = new ValueColumn();
  const added = new BitColumn();
  added.reserve(kept);
  const links = new EntityLinks();
  links.steps.reserve(kept);
  const retractions = new Retractions();
  const end = dropped.length;
  for (let p = 0, q = 0; p < end; p++) {
    if ((p & (stepDatoms - 1)) === 0) yield;
    if (dropped[p] === 1) continue;
    // The columns may have grown (and moved) since the last step: read them afresh.
    entities.push(store.entities.at(p));
    a[q] = store.a.data[p]!;
    values.push(keptRaw(a[q]!, store.v.at(p)));
    added.push(store.added.has(p));
    const prev = store.links.previous(p);
    links.push(
      prev === NONE
        ? NONE
        : dropped[prev] === 0
          ? newPosition[prev]!
          : keptLink(store, dropped, newPosition, prev, end),
    );
    // A retraction appended after the build began is set again when the catch-up appends it.
    const retraction = store.retractions.end(p);
    if (retraction < end) {
      assert(newPosition[retraction] !== NONE, 'a kept assertion keeps its retraction');
      retractions.set(q, newPosition[retraction]!);
    }
    q++;
  }
  return { columns: { a }, values, entities, added, links, retractions };
}

/** A kept datom's value in the pruned store: a string is interned anew, each distinct one once. */
function keptValue(
  store: DatomStore,
  strings: Interner,
  stringSlot: readonly boolean[],
): (slot: number, raw: number) => number {
  const copied = new Float64Array(store.strings.size).fill(-1);
  return (slot, raw) => {
    if (!stringSlot[slot]) return raw;
    if (copied[raw]! < 0) copied[raw] = strings.addFrom(store.strings, raw);
    return copied[raw]!;
  };
}

/** The kept txs below `txEnd` (those from the horizon on, and earlier ones keeping a datom). */
function compactTxs(store: DatomStore, txEnd: number, newPosition: Uint32Array, firstKeptTx: number) {
  const remap = new Int32Array(txEnd).fill(-1);
  const ids: number[] = [];
  const instants: number[] = [];
  const starts: number[] = [];
  let nextKept = 0;
  for (let t = 0; t < txEnd; t++) {
    const end = t + 1 < txEnd ? store.txStarts.get(t + 1) : newPosition.length;
    let p = store.txStarts.get(t);
    while (p < end && newPosition[p] === NONE) p++;
    if (p === end && t < firstKeptTx) continue;
    remap[t] = ids.length;
    ids.push(store.txIds.get(t));
    instants.push(store.txInstants.get(t));
    starts.push(nextKept);
    for (; p < end; p++) if (newPosition[p] !== NONE) nextKept++;
  }
  const column = <T extends Float64Array | Uint32Array>(ctor: RoomyArray<T>, values: number[]) => {
    const out = withRoom(ctor, values.length);
    out.set(values);
    return out;
  };
  return {
    remap,
    ids: column(Float64Array, ids),
    instants: column(Float64Array, instants),
    starts: column(Uint32Array, starts),
  };
}

/** A tx's new index: it holds datoms of kept attributes, so it is kept. */
function keptTx(remap: Int32Array, txIndex: number): number {
  assert(remap[txIndex]! >= 0, 'a tx that changed a kept attribute is kept');
  return remap[txIndex]!;
}

/** The new positions of the list's kept datoms below `end`. */
function* keptPositions(
  list: PositionList,
  end: number,
  newPosition: Uint32Array,
): Generator<void, PositionList, void> {
  const kept = new PositionList();
  for (let i = 0, n = list.countBelow(end); i < n; i++) {
    if ((i & (stepDatoms - 1)) === 0) yield;
    const q = newPosition[list.at(i)]!;
    if (q !== NONE) kept.push(q);
  }
  return kept;
}

function* postingsOf(
  positions: PositionList,
  v: ValueColumn,
  dense: boolean,
): Generator<void, Postings, void> {
  const postings = Postings.create(dense, positions.length);
  for (let i = 0; i < positions.length; i++) {
    if ((i & (stepDatoms - 1)) === 0) yield;
    const p = positions.at(i);
    postings.add(v.at(p), p);
  }
  return postings;
}

/**
 * An attribute's count timeline, recounted from its kept datoms: the number of entities with a
 * live value after each tx that changed it (an assertion of an entity's first live value adds
 * one, a retraction of its last takes one away, as the store counts when appending).
 */
function* recount(
  positions: PositionList,
  entities: EntityColumn,
  added: BitColumn,
  txStarts: Uint32Array,
  liveValues: Uint32Array,
): Generator<void, { txIndex: Uint32Array; count: Float64Array }, void> {
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
  for (let i = 0; i < positions.length; i++) {
    if ((i & (stepDatoms - 1)) === 0) yield;
    const p = positions.at(i);
    // The last tx starting at or before p: a tx kept with no datom starts where the next does.
    while (t + 1 < txStarts.length && txStarts[t + 1]! <= p) t++;
    if (t !== tx) {
      close();
      tx = t;
      before = total;
    }
    const e = entities.at(p);
    if (added.has(p)) {
      if (liveValues[e]!++ === 0) total++;
    } else {
      assert(liveValues[e]! > 0, 'a retraction ends a live value');
      if (--liveValues[e]! === 0) total--;
    }
  }
  close();
  for (let i = 0; i < positions.length; i++) liveValues[entities.at(positions.at(i))] = 0;
  return { txIndex: Uint32Array.from(txIndex), count: Float64Array.from(count) };
}

/** Whether a datom appended after the build began refers (by a kept ref attribute) to a thinned entity. */
function refersToThinned(
  store: DatomStore,
  end: { datoms: number; locals: number },
  prunable: ReadonlySet<number>,
  thinned: Uint8Array,
): boolean {
  const slots = store.schema.bySlot;
  for (let p = end.datoms; p < store.datomCount; p++) {
    const attr = slots[store.a.data[p]!]!;
    if (attr.valueType !== 'ref' || prunable.has(attr.id)) continue;
    const local = store.localOf(store.v.at(p));
    if (local >= 0 && local <= end.locals && thinned[local] === 1) return true;
  }
  return false;
}

/**
 * Appends to `next` the txs of `store` from `from.txs` up to `txEnd`, as they were appended there
 * (new entities allocated, strings interned, a retraction of a dropped assertion skipped),
 * moving `from.txs` on; yields every `datomsPerStep` datoms or so.
 */
function* appendTail(
  store: DatomStore,
  next: DatomStore,
  from: { txs: number },
  txEnd: number,
  datomsPerStep: number,
): Generator<void, void, void> {
  const slots = store.schema.bySlot;
  let sinceYield = 0;
  while (from.txs < txEnd) {
    const t = from.txs;
    while (next.localMax < store.localMax) next.allocateEntity();
    next.beginTx(store.txIds.get(t), store.txInstants.get(t));
    const start = store.txStarts.get(t);
    const end = store.boundAfter(t);
    for (let p = start; p < end; p++) {
      const slot = store.a.data[p]!;
      const local = store.entities.at(p);
      const old = store.v.at(p);
      const raw = usesStrings(slots[slot]!.valueType) ? next.strings.internFrom(store.strings, old) : old;
      const added = store.added.has(p);
      if (!added && next.liveAssertion(local, slot, raw) === NONE) continue;
      next.append(local, slot, raw, added);
    }
    next.endTx();
    from.txs = t + 1;
    sinceYield += end - start;
    if (sinceYield >= datomsPerStep) {
      sinceYield = 0;
      yield;
    }
  }
}
