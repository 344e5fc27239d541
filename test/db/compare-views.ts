/** Every read of a view (datoms in each index, count, avet, pull) against the naive model's. */
import assert from 'node:assert/strict';
import type { Datom, Value } from '../../src/db/types.js';
import type { View } from '../../src/db/view.js';
import type { Model } from './model.js';

export function sortDatoms(list: Datom[]): Datom[] {
  const key = (d: Datom) => [d.e, d.a, JSON.stringify(d.v), d.tx, d.added ? 1 : 0];
  return [...list].sort((x, y) => {
    const [a, b] = [key(x), key(y)];
    for (let i = 0; i < a.length; i++) if (a[i]! !== b[i]!) return a[i]! < b[i]! ? -1 : 1;
    return 0;
  });
}

function modelPull(
  visible: Datom[],
  e: number,
  isMany: (a: string) => boolean,
  isRef: (a: string) => boolean,
) {
  const mine = visible.filter((d) => d.e === e);
  if (mine.length === 0) return null;
  const out: Record<string, unknown> = { 'db/id': e };
  const shape = (a: string, v: Value) => (isRef(a) ? { 'db/id': v } : v);
  for (const a of new Set(mine.map((d) => d.a))) {
    const values = mine.filter((d) => d.a === a).map((d) => d.v);
    out[a] = isMany(a)
      ? values.sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)).map((v) => shape(a, v))
      : shape(a, values[values.length - 1]!);
  }
  return out;
}

export function compareViews(
  model: Model,
  view: View,
  spec: { asOf?: number; since?: number; history?: boolean },
  label: string,
) {
  const visible = model.visible(spec);
  assert.deepEqual(sortDatoms(view.datoms('eavt')), sortDatoms(visible), `${label}: eavt`);
  const attrs = model.attributeIdents().filter((a) => view.attribute(a) !== undefined);
  for (const a of attrs) {
    const modelDatoms = visible.filter((d) => d.a === a);
    assert.deepEqual(sortDatoms(view.datoms('aevt', a)), sortDatoms(modelDatoms), `${label}: aevt ${a}`);
    const entities = new Set(modelDatoms.filter((d) => spec.history || d.added).map((d) => d.e));
    assert.equal(view.count(a), entities.size, `${label}: count ${a}`);
    for (const v of new Set(modelDatoms.map((d) => JSON.stringify(d.v)))) {
      const expected = modelDatoms.filter((d) => JSON.stringify(d.v) === v);
      assert.deepEqual(
        sortDatoms(view.datoms('avet', a, JSON.parse(v))),
        sortDatoms(expected),
        `${label}: avet ${a} ${v}`,
      );
    }
  }
  if (spec.history) return;
  const isRef = (a: string) => view.attribute(a)?.valueType === 'ref';
  const isMany = (a: string) => view.attribute(a)?.many === true;
  for (const e of new Set(model.datoms.map((d) => d.e))) {
    assert.deepEqual(view.pull(e, ['*']), modelPull(visible, e, isMany, isRef), `${label}: pull ${e}`);
  }
}
