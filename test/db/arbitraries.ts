/** Random tx data over a small person schema, shared by the database's property tests. */
import fc from 'fast-check';

export const schemaTx = [
  { 'db/ident': 'p/name', 'db/valueType': 'string', 'db/unique': 'identity' },
  { 'db/ident': 'p/age', 'db/valueType': 'integer' },
  { 'db/ident': 'p/tags', 'db/valueType': 'string', 'db/cardinality': 'many' },
  { 'db/ident': 'p/best', 'db/valueType': 'ref' },
  { 'db/ident': 'p/friends', 'db/valueType': 'ref', 'db/cardinality': 'many' },
  { 'db/ident': 'p/score', 'db/valueType': 'number', 'db/index': true },
  { 'db/ident': 'p/code', 'db/valueType': 'string', 'db/unique': 'value' },
  { 'db/ident': 'p/flag', 'db/valueType': 'boolean' },
  { 'db/ident': 'p/vec', 'db/valueType': 'vector' },
  { 'db/ident': 'p/sealed', 'db/valueType': 'string', 'db/immutable': true },
];

export const names = ['ann', 'bob', 'cy', 'dee', 'eve'];
export const entityArb = fc.oneof(
  fc.integer({ min: 1020, max: 1050 }),
  fc.constantFrom('t0', 't1', 't2', -1),
  fc.constantFrom(...names).map((n) => ['p/name', n]),
);
const valueArbs: Record<string, fc.Arbitrary<unknown>> = {
  'p/name': fc.constantFrom(...names),
  'p/age': fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant('old')),
  'p/tags': fc.oneof(fc.constantFrom('x', 'y', 'z'), fc.subarray(['x', 'y', 'z'])),
  'p/best': entityArb,
  'p/friends': fc.oneof(entityArb, fc.array(fc.integer({ min: 1020, max: 1050 }), { maxLength: 2 })),
  'p/score': fc.constantFrom(0, 0.5, 1, 2.25),
  'p/code': fc.constantFrom('A', 'B', 'C'),
  'p/flag': fc.boolean(),
  'p/vec': fc.constantFrom([1, 2], [3], [0.5, 0.25]),
  'p/sealed': fc.constantFrom('s1', 's2'),
  'q/extra': fc.constantFrom('e1', 'e2'),
};
const attrArb = fc.constantFrom(...Object.keys(valueArbs));

export const itemArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        id: fc.option(entityArb),
        attrs: fc.subarray(Object.keys(valueArbs), { minLength: 1, maxLength: 4 }),
      })
      .chain(({ id, attrs }) =>
        fc.tuple(...attrs.map((a) => valueArbs[a]!)).map((values) => {
          const map: Record<string, unknown> = id === null ? {} : { 'db/id': id };
          attrs.forEach((a, i) => (map[a] = values[i]));
          return map;
        }),
      ),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(entityArb, attrArb).chain(([e, a]) => valueArbs[a]!.map((v) => ['db/add', e, a, v])),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(entityArb, attrArb)
      .chain(([e, a]) => valueArbs[a]!.map((v) => ['db/retract', e, a, v])),
  },
  { weight: 1, arbitrary: fc.tuple(entityArb, attrArb).map(([e, a]) => ['db/retract', e, a]) },
  { weight: 1, arbitrary: entityArb.map((e) => ['db/retractEntity', e]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      { 'db/ident': 'q/extra', 'db/valueType': 'string' },
      { 'db/id': ['db/ident', 'p/age'], 'db/index': true },
      { 'db/id': ['db/ident', 'p/tags'], 'db/doc': 'tags' },
      { 'db/id': ['db/ident', 'p/age'], 'db/valueType': 'string' },
      { 'db/id': ['db/ident', 'p/tags'], 'db/cardinality': 'one' },
      ['db/nope', 1024, 'p/age', 1],
      { 'x/unknown': 1 },
      42,
    ),
  },
);
export const historyArb = fc.array(fc.array(itemArb, { minLength: 1, maxLength: 4 }), {
  minLength: 1,
  maxLength: 25,
});

/** A fixed clock: tx ids depend only on the history. */
export function fakeClock() {
  let now = 1_700_000_000_000;
  return { nowMs: () => (now += 3) };
}
