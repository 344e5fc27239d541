/** Columns grow from any capacity, including none (a column adopted from an empty section). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { u32 } from '../../src/db/columns.js';

test('a column adopted with no capacity takes pushes', () => {
  const column = u32();
  column.adopt(new Uint32Array(0));
  column.push(7);
  column.push(8);
  assert.deepEqual([...column.view()], [7, 8]);
});

test('pushes and reserves keep every value, whatever the starting contents', () => {
  fc.assert(
    fc.property(fc.array(fc.nat()), fc.array(fc.nat(), { maxLength: 200 }), (start, pushed) => {
      const column = u32();
      column.adopt(Uint32Array.from(start));
      column.reserve(3);
      for (const x of pushed) column.push(x);
      assert.deepEqual([...column.view()], [...start, ...pushed]);
    }),
  );
});
