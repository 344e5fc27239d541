import assert from 'node:assert/strict';
import { test } from 'node:test';
import { q } from '../../../src/db/query/index.js';
import { GswarmError } from '../../../src/errors.js';
import { marketDb } from './fixtures.js';

/** Asserts a GSW_ERR_QUERY whose message matches and names the clause as JSON. */
function refuses(run: () => unknown, message: RegExp, clause: unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof GswarmError);
    assert.equal(error.code, 'GSW_ERR_QUERY');
    assert.match(error.message, message);
    assert.ok(
      error.message.includes(JSON.stringify(clause)),
      `${error.message} names ${JSON.stringify(clause)}`,
    );
    return true;
  });
}

test('an unbound variable in a predicate', () => {
  const clause = [['>', '?p', '?limit']];
  refuses(
    () => q(marketDb, { find: ['?t'], where: [['?t', 'tick/price', '?p'], clause] }),
    /unbound variable \?limit/,
    clause,
  );
});

test('an unknown attribute (Datascript would return no rows)', () => {
  const clause = ['?t', 'tick/nope', '?p'];
  refuses(() => q(marketDb, { find: ['?t'], where: [clause] }), /unknown attribute "tick\/nope"/, clause);
});

test('malformed clauses', () => {
  refuses(() => q(marketDb, { find: ['?t'], where: [['?t', 'a', 'b', 1, true, 'extra']] }), /at most 5/, [
    '?t',
    'a',
    'b',
    1,
    true,
    'extra',
  ]);
  refuses(() => q(marketDb, { find: ['?t'], where: ['?t'] }), /non-empty array/, '?t');
  const and = ['and', ['?t', 'tick/price', 1]];
  refuses(() => q(marketDb, { find: ['?t'], where: [and] }), /only allowed as a branch of or/, and);
});

test('find variables not bound by where', () => {
  const query = { find: ['?t', '?x'], where: [['?t', 'tick/price', '_']] };
  refuses(() => q(marketDb, query), /find variables not bound by where: \?x/, query);
});

test('rule arity mismatch, unknown rule, missing required binding', () => {
  const rules = [
    [
      ['priced', ['?t'], '?p'],
      ['?t', 'tick/price', '?p'],
    ],
  ];
  const call = ['priced', '?t'];
  refuses(
    () => q(marketDb, { find: ['?t'], in: ['$', '%'], where: [call] }, rules),
    /takes 2 arguments, got 1/,
    call,
  );
  const unknown = ['nope', '?t'];
  refuses(
    () => q(marketDb, { find: ['?t'], in: ['$', '%'], where: [unknown] }, rules),
    /unknown rule nope/,
    unknown,
  );
  const unbound = ['priced', '?t', '?p'];
  refuses(
    () => q(marketDb, { find: ['?p'], in: ['$', '%'], where: [unbound] }, rules),
    /required \?t not bound/,
    unbound,
  );
});

test('an unknown function', () => {
  const clause = [['frobnicate', '?p'], '?x'];
  refuses(
    () => q(marketDb, { find: ['?x'], where: [['_', 'tick/price', '?p'], clause] }),
    /unknown function frobnicate/,
    clause,
  );
});

test('a function refusing its arguments', () => {
  const clause = [['+', '?id', 1], '?x'];
  refuses(
    () => q(marketDb, { find: ['?x'], where: [['_', 'market/id', '?id'], clause] }),
    /\+ expects numbers/,
    clause,
  );
});

test('not and or-join need their variables bound; or branches must agree', () => {
  const not = ['not', ['?x', 'tick/volume', 0]];
  refuses(
    () => q(marketDb, { find: ['?t'], where: [['?t', 'tick/price', '_'], not] }),
    /none of \?x is bound/,
    not,
  );
  const or = ['or', ['?t', 'tick/price', '?p'], ['?t', 'tick/volume', '?v']];
  refuses(() => q(marketDb, { find: ['?t'], where: [or] }), /same variables/, or);
});

test('inputs: count mismatch, a source that is not one, an undeclared source', () => {
  refuses(() => q(marketDb, { find: ['?x'], in: ['$', '?x'] }), /takes 1 inputs besides \$, got 0/, [
    '$',
    '?x',
  ]);
  refuses(
    () => q(marketDb, { find: ['?x'], in: ['$', '$other', '?x'] }, 1, 2),
    /source \$other must be a database \(a view\) or a collection of tuples, got 1/,
    '$other',
  );
  const clause = ['$2', '?e', 'tick/price', '?x'];
  refuses(
    () => q(marketDb, { find: ['?x'], where: [clause] }),
    /unknown source \$2: declare it in in/,
    clause,
  );
});

test('a lookup ref that names nothing', () => {
  const clause = [['market/id', 'm_none'], 'market/name', '?n'];
  refuses(() => q(marketDb, { find: ['?n'], where: [clause] }), /nothing found for lookup ref/, clause);
});

test('clear errors: an unknown function with constants, a malformed pull, a function input missing', () => {
  const call = [['foo', 1, 2], '?x'];
  refuses(() => q(marketDb, { find: ['?x'], where: [call] }), /unknown function foo: call a built-in/, call);
  const find = [['pull', '?t']];
  refuses(
    () => q(marketDb, { find, where: [['?t', 'tick/price']] }),
    /malformed pull .*pull takes an optional source, a variable and a pattern/,
    find,
  );
  const pred = [['?f', '?p']];
  refuses(
    () => q(marketDb, { find: ['?t'], in: ['$', '?f'], where: [['?t', 'tick/price', '?p'], pred] }, 5),
    /\?f is not bound to a function/,
    pred,
  );
  const keys = { find: ['?t'], keys: ['a', 'b'], where: [['?t', 'tick/price']] };
  assert.throws(() => q(marketDb, keys), /2 return map keys for 1 find elements/);
});
