/**
 * Answers that once differed from Datascript's (each was a silent `[]`, a wrong row or a refusal);
 * the expected values are Datascript's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GswarmError } from '../../../src/errors.js';
import type { Connection } from '../../../src/index.js';
import { sorted } from './fixtures.js';
import { openPeople } from './people.js';

describe('lookup refs, schema datoms, or and missing?', () => {
  let conn: Connection;
  let id: Record<string, number>;
  before(async () => {
    conn = await openPeople();
    const ids = conn.view.q({ find: ['?n', '?e'], where: [['?e', 'person/name', '?n']] }) as [
      string,
      number,
    ][];
    id = Object.fromEntries(ids);
  });
  after(() => conn.close());
  const q = (query: unknown, ...inputs: unknown[]) => sorted(conn.view.q(query as never, ...inputs));
  const ivan: [string, string] = ['person/name', 'Ivan'];
  const petr: [string, string] = ['person/name', 'Petr'];

  it('a lookup ref as a scalar input matches its entity and stays the bound value', () => {
    const query = { find: ['?e', '?v'], in: ['$', '?e'], where: [['?e', 'person/age', '?v']] };
    assert.deepEqual(q(query, ivan), [[ivan, 11]]);
  });

  it('lookup refs in collection and relation inputs', () => {
    const collection = { find: ['?e', '?v'], in: ['$', ['?e', '...']], where: [['?e', 'person/age', '?v']] };
    assert.deepEqual(
      q(collection, [ivan, petr]),
      sorted([
        [ivan, 11],
        [petr, 22],
      ]),
    );
    const relation = {
      find: ['?e', '?age'],
      in: ['$', [['?e', '?age']]],
      where: [['?e', 'person/age', '?age']],
    };
    assert.deepEqual(
      q(relation, [
        [ivan, 11],
        [petr, 99],
      ]),
      [[ivan, 11]],
    );
  });

  it('a lookup ref bound to the value of a ref attribute', () => {
    const query = { find: ['?e', '?v'], in: ['$', '?v'], where: [['?e', 'person/friend', '?v']] };
    assert.deepEqual(q(query, petr), [[id.Ivan, petr]]);
  });

  it('get-else and pull on a lookup ref input', () => {
    const getElse = {
      find: ['?e', '?x'],
      in: ['$', '?e'],
      where: [[['get-else', '$', '?e', 'person/age', 0], '?x']],
    };
    assert.deepEqual(q(getElse, ivan), [[ivan, 11]]);
    const pull = { find: [['pull', '?e', ['person/name']]], in: ['$', '?e'], where: [['?e', 'person/age']] };
    assert.deepEqual(q(pull, ivan), [[{ 'person/name': 'Ivan' }]]);
  });

  it('a lookup ref on a non-unique attribute is refused, naming it', () => {
    const query = { find: ['?v'], in: ['$', '?e'], where: [['?e', 'person/age', '?v']] };
    assert.throws(() => q(query, ['person/age', 11]), /person\/age is not unique/);
  });

  it('patterns with an unbound attribute see user data only, not the schema', () => {
    const attrs = q({ find: [['?a', '...']], where: [['_', '?a', '_']] });
    assert.deepEqual(attrs, ['person/age', 'person/friend', 'person/name', 'person/parent']);
    const entities = q({ find: [['?e', '...']], where: [['?e', '_', '_']] });
    assert.deepEqual(entities, sorted(Object.values(id)));
    // Naming a db/* attribute still reaches the schema.
    assert.ok(q({ find: [['?i', '...']], where: [['_', 'db/ident', '?i']] }).includes('person/age'));
  });

  it('or with a variable bound by an input', () => {
    const query = {
      find: ['?e', '?a'],
      in: ['$', '?a'],
      where: [['or', ['?e', 'person/age', '?a'], ['?e', 'person/name', 'Oleg']]],
    };
    assert.deepEqual(
      q(query, 11),
      sorted([
        [id.Ivan, 11],
        [id.Oleg, 11],
      ]),
    );
  });

  it('missing? with a reverse attribute', () => {
    const query = {
      find: ['?e'],
      where: [['?e', 'person/name'], [['missing?', '$', '?e', 'person/_parent']]],
    };
    assert.deepEqual(q(query), sorted([[id.Petr], [id.Oleg]]));
  });

  it('an unknown source var in a function argument is refused', () => {
    assert.throws(
      () =>
        q({
          find: ['?x'],
          where: [
            ['?e', 'person/age', '?a'],
            [['+', '?a', '$2'], '?x'],
          ],
        }),
      (error: unknown) => error instanceof GswarmError && /unknown source \$2/.test(error.message),
    );
  });

  it('db.entity and db.pull take lookup refs; a lookup ref naming nothing gives null', () => {
    assert.deepEqual(conn.view.entity(ivan), conn.view.entity(id.Ivan));
    assert.equal(conn.view.entity(ivan)?.['person/age'], 11);
    assert.deepEqual(conn.view.pull(petr, ['person/age']), { 'person/age': 22 });
    assert.equal(conn.view.pull(['person/name', 'Nobody'] as const, ['*']), null);
    assert.throws(
      () => conn.view.pull(['person/age', 11] as const, ['*']),
      (error: unknown) =>
        error instanceof GswarmError &&
        error.code === 'GSW_ERR_UNKNOWN_ENTITY' &&
        /not unique/.test(error.message),
    );
  });
});
