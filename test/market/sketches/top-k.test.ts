/**
 * The top-k heap against a naive model: over any sequence of offers (estimates growing, all
 * distinct so the weakest is unique), its candidates are exactly the model's, which exercises the
 * key-to-slot table through many insertions, evictions and the shifts deletion makes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TopK } from '../../../src/market/sketches/top-k.js';

/** The same rule, naively: members and their estimates; a newcomer evicts the weakest if stronger. */
function modelOffer(members: Map<number, number>, capacity: number, key: number, estimate: number): void {
  if (members.has(key) || members.size < capacity) {
    members.set(key, estimate);
    return;
  }
  let weakest: number | undefined;
  for (const [k, e] of members) if (weakest === undefined || e < members.get(weakest)!) weakest = k;
  if (estimate <= members.get(weakest!)!) return;
  members.delete(weakest!);
  members.set(key, estimate);
}

describe('top-k', () => {
  it('keeps exactly the candidates a naive model keeps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.array(fc.tuple(fc.nat(300), fc.nat(4)), { minLength: 1, maxLength: 2000 }),
        (capacity, offers) => {
          const top = new TopK(capacity);
          const members = new Map<number, number>();
          const totals = new Map<number, number>();
          offers.forEach(([key, weight], step) => {
            // Per key the estimate only grows; across keys every estimate differs (step breaks ties).
            const total = (totals.get(key) ?? 0) + weight;
            totals.set(key, total);
            const estimate = total * 1e4 + step;
            top.offer(key, estimate);
            modelOffer(members, capacity, key, estimate);
          });
          assert.deepEqual(
            [...top.candidates()].sort((x, y) => x - y),
            [...members.keys()].sort((x, y) => x - y),
          );
          assert.equal(top.size, members.size);
        },
      ),
      { numRuns: 300 },
    );
  });
});
