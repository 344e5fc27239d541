/**
 * Operating errors: each bad tx is refused whole, with a coded error whose message names the
 * problem, and leaves the database exactly as it was. And the error catalogue and docs/errors.md
 * document the same codes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Connection, type ErrorCode, errorCatalogue, GswarmError, open, storage } from '../src/index.js';
import { marketSchema } from '../src/market/schema.js';
import { Swarm } from '../src/market/swarm.js';

const schema = {
  ...marketSchema,
  'trader/email': { valueType: 'string', unique: 'value' },
  'trader/nick': { valueType: 'string' },
  'trader/tags': { valueType: 'string', cardinality: 'many' },
} as const;

async function seeded(options: { txDatomsMax?: number } = {}) {
  const conn = await open({ storage: storage.memory(), schema, ...options });
  const { tempids } = await conn.transact([
    { 'db/id': 'm1', 'market/id': 'M1', 'market/name': 'first' },
    { 'db/id': 'm2', 'market/id': 'M2' },
    { 'tick/id': 't1', 'tick/market': 'm1', 'tick/price': 10, 'tick/volume': 1, 'tick/ts': 1000 },
    { 'db/id': 'alice', 'trader/email': 'alice@example.com', 'trader/nick': 'al' },
    { 'db/id': 'bob', 'trader/email': 'bob@example.com' },
  ]);
  return { conn, m1: tempids.m1!, m2: tempids.m2!, alice: tempids.alice!, bob: tempids.bob! };
}

/** Everything a refused tx must leave as it was. */
function snapshot(conn: Connection) {
  const store = conn.view.datomStore;
  return {
    eavt: conn.datoms('eavt'),
    basisTx: conn.basisTx,
    datomCount: store.datomCount,
    txCount: store.txCount,
    localMax: store.localMax,
    strings: store.strings.size,
    schema: store.schema.bySlot.map((a) => a.ident),
  };
}

/** Asserts `attempt` is refused with `code`, a message matching every pattern, and no change. */
async function refused(
  conn: Connection,
  attempt: () => Promise<unknown>,
  code: ErrorCode,
  patterns: RegExp[],
  data?: Record<string, unknown>,
): Promise<GswarmError> {
  const before = snapshot(conn);
  let caught: unknown;
  await assert.rejects(attempt(), (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof GswarmError, `expected a GswarmError, got ${String(caught)}`);
  const error = caught as GswarmError;
  assert.equal(error.code, code, error.message);
  assert.equal(error.status, errorCatalogue[code].status);
  for (const pattern of patterns) assert.match(error.message, pattern);
  if (data) for (const [key, value] of Object.entries(data)) assert.deepEqual(error.data[key], value, key);
  assert.deepEqual(snapshot(conn), before, 'a refused tx changes nothing');
  return error;
}

/** After refusals, the connection still works, and the next tx gets the next entity id. */
async function stillWorks(conn: Connection): Promise<void> {
  const localMax = conn.view.datomStore.localMax;
  const report = await conn.transact([{ 'market/id': `after-${localMax}` }]);
  assert.equal(report.datoms.length, 1);
  assert.equal(report.tempids['item#0'], conn.view.datomStore.entityBase + localMax + 1);
}

describe('refused transactions', () => {
  it('a value of the wrong type names the item, the attribute and the rule', async () => {
    const { conn, m1 } = await seeded();
    const error = await refused(
      conn,
      () => conn.transact([{ 'market/id': 'M9' }, ['db/add', m1, 'market/name', 42]]),
      'GSW_ERR_VALUE_TYPE',
      [/item 1/, /market\/name/, /must be a string/, /42/],
      { item: 1, attribute: 'market/name', rule: 'must be a string' },
    );
    assert.equal(error.status, 400);
    await refused(
      conn,
      () =>
        conn.transact([
          { 'tick/id': 't2', 'tick/market': m1, 'tick/price': 'cheap', 'tick/volume': 1, 'tick/ts': 2 },
        ]),
      'GSW_ERR_VALUE_TYPE',
      [/item 0/, /tick\/price/, /must be a finite number/],
      { item: 0, attribute: 'tick/price' },
    );
    await refused(
      conn,
      () =>
        conn.transact([
          { 'market/id': 'M8' },
          { 'tick/id': 't2', 'tick/market': m1, 'tick/price': 1, 'tick/volume': 1, 'tick/ts': 1.5 },
        ]),
      'GSW_ERR_VALUE_TYPE',
      [/item 1/, /tick\/ts/, /epoch milliseconds/],
      { item: 1, attribute: 'tick/ts' },
    );
    await refused(
      conn,
      () => conn.transact([['db/add', m1, 'market/name', Number.NaN]]),
      'GSW_ERR_VALUE_TYPE',
      [/market\/name/],
    );
    await refused(
      conn,
      () =>
        conn.transact([
          { 'tick/id': 't2', 'tick/market': true, 'tick/price': 1, 'tick/volume': 1, 'tick/ts': 2 },
        ]),
      'GSW_ERR_VALUE_TYPE',
      [/tick\/market/, /entity id, a tempid or a lookup ref/],
    );
    await stillWorks(conn);
  });

  it('an unknown attribute is named', async () => {
    const { conn, m1 } = await seeded();
    await refused(
      conn,
      () => conn.transact([{ 'market/id': 'M9', 'market/colour': 'red' }]),
      'GSW_ERR_UNKNOWN_ATTRIBUTE',
      [/item 0/, /market\/colour/],
      { item: 0, attribute: 'market/colour' },
    );
    await refused(
      conn,
      () => conn.transact([{ 'market/id': 'M9' }, ['db/add', m1, 'tick/colour', 'red']]),
      'GSW_ERR_UNKNOWN_ATTRIBUTE',
      [/item 1/, /tick\/colour/],
    );
    await refused(
      conn,
      () => conn.transact([['db/retract', m1, 'nope/nothing']]),
      'GSW_ERR_UNKNOWN_ATTRIBUTE',
      [/nope\/nothing/],
    );
    assert.throws(
      () => conn.datoms('aevt', 'nope/nothing'),
      (error: GswarmError) =>
        error.code === 'GSW_ERR_UNKNOWN_ATTRIBUTE' && /nope\/nothing/.test(error.message),
    );
    await stillWorks(conn);
  });

  it('a tick whose market does not exist is a dangling ref (lookup ref, entity id, retracted market)', async () => {
    const { conn, m1, m2 } = await seeded();
    const tick = (market: unknown) => ({
      'tick/id': 't2',
      'tick/market': market,
      'tick/price': 1,
      'tick/volume': 1,
      'tick/ts': 2,
    });
    await refused(
      conn,
      () => conn.transact([{ 'market/id': 'M9' }, tick(['market/id', 'NOPE'])]),
      'GSW_ERR_DANGLING_REF',
      [/item 1/, /tick\/market/, /NOPE/],
      { item: 1, attribute: 'tick/market' },
    );
    await refused(
      conn,
      () => conn.transact([tick(987_654)]),
      'GSW_ERR_DANGLING_REF',
      [/item 0/, /tick\/market/, /987654/],
      { item: 0, attribute: 'tick/market', entity: 987_654 },
    );
    // An entity id that was allocated but no longer has any fact is no market either.
    await conn.transact([['db/retractEntity', m2]]);
    await refused(conn, () => conn.transact([tick(m2)]), 'GSW_ERR_DANGLING_REF', [
      /tick\/market/,
      new RegExp(String(m2)),
    ]);
    // Retracting a market a tick still refers to would leave the tick dangling.
    await refused(
      conn,
      () =>
        conn.transact([
          ['db/retract', m1, 'market/id', 'M1'],
          ['db/retract', m1, 'market/name'],
        ]),
      'GSW_ERR_DANGLING_REF',
      [/tick\/market/, new RegExp(`entity ${m1}`)],
    );
    // A lookup ref as the entity of an op names an entity that must exist.
    await refused(
      conn,
      () => conn.transact([['db/add', ['market/id', 'NOPE'], 'market/name', 'x']]),
      'GSW_ERR_UNKNOWN_ENTITY',
      [/item 0/, /market\/id/, /NOPE/],
    );
    await refused(
      conn,
      () => conn.transact([['db/add', 555_555, 'market/name', 'x']]),
      'GSW_ERR_UNKNOWN_ENTITY',
      [/555555/],
    );
    await stillWorks(conn);
  });

  it('Swarm.ingest lists every tick whose market does not exist, and stores nothing', async () => {
    const swarm = await Swarm.open({ storage: storage.memory() });
    await swarm.ingest({ markets: [{ id: 'A' }] });
    const row = (id: string, market: string) => ({ id, market, price: 1, volume: 1, ts: 5 });
    const error = await refused(
      swarm.conn,
      () =>
        swarm.ingest({
          markets: [{ id: 'B' }],
          ticks: [row('1', 'A'), row('2', 'X'), row('3', 'B'), row('4', 'Y'), row('5', 'X')],
        }),
      'GSW_ERR_DANGLING_REF',
      [/3 tick\(s\)/, /market/],
    );
    assert.deepEqual(
      (error.data.rows as { index: number; field: string; message: string }[]).map((r) => [
        r.index,
        r.field,
        r.message,
      ]),
      [
        [1, 'market', 'market "X" does not exist'],
        [3, 'market', 'market "Y" does not exist'],
        [4, 'market', 'market "X" does not exist'],
      ],
    );
    assert.equal(swarm.count('market/id').count, 1, 'market B of the refused batch is not stored');
    // Past rowErrorsMax (100) bad rows, the first 100 are listed.
    const many = await refused(
      swarm.conn,
      () => swarm.ingest({ ticks: Array.from({ length: 150 }, (_, i) => row(`x${i}`, `gone${i}`)) }),
      'GSW_ERR_DANGLING_REF',
      [/market/],
    );
    assert.deepEqual(
      (many.data.rows as { index: number }[]).map((r) => r.index),
      Array.from({ length: 100 }, (_, i) => i),
    );
    // Bad fields: every row with every field.
    const invalid = await refused(
      swarm.conn,
      () =>
        swarm.ingest({
          ticks: [
            row('ok', 'A'),
            { id: '', market: 'A', price: -1, volume: 1, ts: 1 },
            { id: 'x', market: 'A', price: 1, volume: Number.POSITIVE_INFINITY, ts: 2.5 },
          ],
        }),
      'GSW_ERR_VALUE_TYPE',
      [/invalid row/],
    );
    assert.deepEqual(
      (invalid.data.rows as { index: number; field: string }[]).map((r) => [r.index, r.field]),
      [
        [1, 'id'],
        [1, 'price'],
        [2, 'volume'],
        [2, 'ts'],
      ],
    );
    assert.equal(swarm.count('tick/id').count, 0);
    await swarm.close();
  });

  it('a tick id stored with other content is a write-once conflict', async () => {
    const { conn, m1 } = await seeded();
    await refused(
      conn,
      () =>
        conn.transact([
          { 'market/id': 'M9' },
          { 'tick/id': 't1', 'tick/market': m1, 'tick/price': 11, 'tick/volume': 1, 'tick/ts': 1000 },
        ]),
      'GSW_ERR_WRITE_ONCE_CONFLICT',
      [/item 1/, /tick\/price/, /write-once/, /10/, /11/],
      { item: 1, attribute: 'tick/price', existing: 10, value: 11 },
    );
    // The identical tick is a no-op, not a conflict.
    const before = conn.basisTx;
    const same = await conn.transact([
      { 'tick/id': 't1', 'tick/market': m1, 'tick/price': 10, 'tick/volume': 1, 'tick/ts': 1000 },
    ]);
    assert.deepEqual(same.datoms, []);
    assert.equal(conn.basisTx, before);

    const swarm = await Swarm.open({ storage: storage.memory() });
    await swarm.ingest({
      markets: [{ id: 'A' }],
      ticks: [{ id: 'k1', market: 'A', price: 1, volume: 2, ts: 3 }],
    });
    const stored = await refused(
      swarm.conn,
      () =>
        swarm.ingest({
          ticks: [
            { id: 'k2', market: 'A', price: 1, volume: 2, ts: 3 },
            { id: 'k1', market: 'A', price: 1, volume: 2, ts: 4 },
          ],
        }),
      'GSW_ERR_WRITE_ONCE_CONFLICT',
      [/k1/],
      { ids: ['k1'] },
    );
    assert.equal(stored.status, 409);
    await refused(
      swarm.conn,
      () =>
        swarm.ingest({
          ticks: [
            { id: 'k3', market: 'A', price: 1, volume: 2, ts: 3 },
            { id: 'k3', market: 'A', price: 2, volume: 2, ts: 3 },
          ],
        }),
      'GSW_ERR_WRITE_ONCE_CONFLICT',
      [/k3/],
      { ids: ['k3'] },
    );
    assert.deepEqual(await swarm.ingest({ ticks: [{ id: 'k1', market: 'A', price: 1, volume: 2, ts: 3 }] }), {
      tx: swarm.conn.basisTx,
      accepted: 0,
      duplicates: 1,
    });
    await swarm.close();
  });

  it('malformed tx data is refused with the item and the rule', async () => {
    const { conn, m1 } = await seeded();
    for (const notArray of [{ 'market/id': 'M9' }, 'market/id', null, undefined, 42]) {
      await refused(conn, () => conn.transact(notArray), 'GSW_ERR_TX_MALFORMED', [/must be an array/]);
    }
    const cases: [unknown[], RegExp[]][] = [
      [
        [{ 'market/id': 'M9' }, 7],
        [/item 1/, /entity map or an \[op, e, a, v\] list/],
      ],
      [[{ 'market/id': 'M9' }, null], [/item 1/]],
      [[['db/frobnicate', m1, 'market/name', 'x']], [/item 0/, /unknown op/, /db\/frobnicate/]],
      [[[42, m1, 'market/name', 'x']], [/item 0/, /unknown op/]],
      [[['db/add', m1, 'market/name']], [/item 0/, /db\/add takes an entity, an attribute and a value/]],
      [[['db/add', m1, 'market/name', 'x', 'y']], [/item 0/, /db\/add/]],
      [[['db/retract', m1, 'market/name', 'first', 'extra']], [/item 0/, /db\/retract takes/]],
      [[['db/retractEntity']], [/item 0/, /db\/retractEntity takes exactly an entity/]],
      [[['db/retractEntity', m1, 'market/name']], [/item 0/, /retractEntity/]],
      [
        [{ 'market/id': 'M9' }, {}],
        [/item 1/, /at least one attribute/],
      ],
      [[['db/add', { id: 1 }, 'market/name', 'x']], [/item 0/, /is not an entity/]],
      [[['db/add', 1.5, 'market/name', 'x']], [/item 0/, /is not an entity/]],
      [[['db/add', '', 'market/name', 'x']], [/item 0/, /is not an entity/]],
      [[{ 'db/id': true, 'market/name': 'x' }], [/item 0/, /is not an entity/]],
    ];
    for (const [txData, patterns] of cases) {
      await refused(conn, () => conn.transact(txData), 'GSW_ERR_TX_MALFORMED', patterns);
    }
    await stillWorks(conn);
  });

  it('an op with too few elements is malformed (wrong arity), not an unknown attribute', async () => {
    const { conn, m1 } = await seeded();
    await refused(conn, () => conn.transact([['db/retract', m1]]), 'GSW_ERR_TX_MALFORMED', [
      /item 0/,
      /db\/retract takes an entity, an attribute and optionally a value/,
    ]);
    await refused(conn, () => conn.transact([['db/add', m1]]), 'GSW_ERR_TX_MALFORMED', [
      /item 0/,
      /db\/add takes an entity, an attribute and a value/,
    ]);
  });

  it('two values for a cardinality-one attribute in one tx are refused', async () => {
    const { conn, m1, m2 } = await seeded();
    await refused(
      conn,
      () =>
        conn.transact([
          ['db/add', m1, 'market/name', 'a'],
          ['db/add', m1, 'market/name', 'b'],
        ]),
      'GSW_ERR_CARDINALITY',
      [/item 1/, /market\/name/, new RegExp(`entity ${m1}`), /two values/],
      { item: 1, attribute: 'market/name', rule: 'cardinality one' },
    );
    // An attribute with no value yet, and a new entity through a tempid.
    await refused(
      conn,
      () =>
        conn.transact([
          ['db/add', m2, 'market/name', 'a'],
          ['db/add', m2, 'market/name', 'b'],
        ]),
      'GSW_ERR_CARDINALITY',
      [/market\/name/],
    );
    await refused(
      conn,
      () =>
        conn.transact([
          { 'db/id': 'n', 'market/id': 'M9', 'market/name': 'a' },
          { 'db/id': 'n', 'market/name': 'b' },
        ]),
      'GSW_ERR_CARDINALITY',
      [/item 1/, /market\/name/],
    );
    // Several values of a cardinality-many attribute are fine, and so is one value given twice.
    const report = await conn.transact([
      ['db/add', m1, 'market/name', 'same'],
      ['db/add', m1, 'market/name', 'same'],
      { 'trader/email': 'carol@example.com', 'trader/tags': ['x', 'y'] },
    ]);
    assert.equal(report.datoms.filter((d) => d.a === 'market/name' && d.added).length, 1);
    assert.equal(report.datoms.filter((d) => d.a === 'trader/tags').length, 2);
  });

  it('a unique value belonging to another entity is a conflict', async () => {
    const { conn, m2, bob, alice } = await seeded();
    await refused(
      conn,
      () => conn.transact([['db/add', m2, 'market/id', 'M1']]),
      'GSW_ERR_UNIQUE_CONFLICT',
      [/item 0/, /market\/id/, /"M1"/, /already belongs to entity/],
      { item: 0, attribute: 'market/id', value: 'M1' },
    );
    await refused(
      conn,
      () => conn.transact([{ 'market/id': 'M9' }, ['db/add', bob, 'trader/email', 'alice@example.com']]),
      'GSW_ERR_UNIQUE_CONFLICT',
      [/item 1/, /trader\/email/, /alice@example.com/, new RegExp(`entity ${alice}`)],
    );
    // A unique (value, not identity) attribute does not upsert: a new entity claiming it conflicts.
    await refused(
      conn,
      () => conn.transact([{ 'trader/email': 'bob@example.com', 'trader/nick': 'b' }]),
      'GSW_ERR_UNIQUE_CONFLICT',
      [/trader\/email/, /bob@example.com/],
    );
    // One tempid upserting to two entities.
    await refused(
      conn,
      () =>
        conn.transact([
          ['db/add', 'x', 'market/id', 'M1'],
          ['db/add', 'x', 'tick/id', 't1'],
        ]),
      'GSW_ERR_UNIQUE_CONFLICT',
      [/two entities/],
    );
    // Two new entities claiming one value in the same tx.
    await refused(
      conn,
      () =>
        conn.transact([
          { 'trader/email': 'dave@example.com' },
          { 'trader/email': 'dave@example.com', 'trader/nick': 'd' },
        ]),
      'GSW_ERR_UNIQUE_CONFLICT',
      [/item 1/, /dave@example.com/],
    );
    // Releasing a value and giving it to another entity in the same tx is fine.
    await conn.transact([
      ['db/retract', alice, 'trader/email', 'alice@example.com'],
      ['db/add', bob, 'trader/email', 'alice@example.com'],
    ]);
    assert.deepEqual(
      conn.datoms('avet', 'trader/email', 'alice@example.com').map((d) => d.e),
      [bob],
    );
  });

  it('an invalid schema change is refused and names the rule', async () => {
    const { conn } = await seeded();
    const cases: [unknown[], RegExp[]][] = [
      [[{ 'db/ident': 'nonamespace', 'db/valueType': 'string' }], [/nonamespace/, /namespaced name/]],
      [[{ 'db/ident': 'db/mine', 'db/valueType': 'string' }], [/db\/mine/, /reserved/]],
      [[{ 'db/ident': 'x/y', 'db/valueType': 'float' }], [/x\/y/, /db\/valueType must be one of/]],
      [[{ 'db/ident': 'x/y', 'db/valueType': 'string', 'db/cardinality': 'few' }], [/db\/cardinality/]],
      [[{ 'db/ident': 'x/y', 'db/valueType': 'string', 'db/unique': 'always' }], [/db\/unique/]],
      [
        [{ 'db/ident': 'x/v', 'db/valueType': 'vector', 'db/cardinality': 'many' }],
        [/x\/v/, /vector attribute has cardinality one/],
      ],
      [[{ 'db/ident': 'x/y', 'db/cardinality': 'one' }], [/need db\/valueType/]],
      [
        [['db/add', ['db/ident', 'market/name'], 'db/unique', 'identity']],
        [/market\/name/, /uniqueness cannot be added once the attribute is used/],
      ],
      [
        [['db/add', ['db/ident', 'trader/tags'], 'db/cardinality', 'one']],
        [/trader\/tags/, /cardinality many cannot become one/],
      ],
      [[['db/retract', ['db/ident', 'market/name'], 'db/valueType', 'string']], [/keeps its db\/valueType/]],
    ];
    await conn.transact([{ 'trader/email': 'erin@example.com', 'trader/tags': ['a'] }]);
    for (const [txData, patterns] of cases) {
      await refused(conn, () => conn.transact(txData), 'GSW_ERR_SCHEMA', [/^attribute /, ...patterns]);
    }
    // db/ident is unique: renaming an attribute to another's ident is a unique conflict.
    await refused(
      conn,
      () => conn.transact([['db/add', ['db/ident', 'market/name'], 'db/ident', 'market/id']]),
      'GSW_ERR_UNIQUE_CONFLICT',
      [/db\/ident/, /market\/id/],
    );
    // db/valueType is write-once.
    await refused(
      conn,
      () => conn.transact([['db/add', ['db/ident', 'market/name'], 'db/valueType', 'number']]),
      'GSW_ERR_WRITE_ONCE_CONFLICT',
      [/db\/valueType/],
    );
    // A sound change of an unused attribute goes through.
    await conn.transact([{ 'db/ident': 'x/fresh', 'db/valueType': 'string' }]);
    await conn.transact([['db/add', ['db/ident', 'x/fresh'], 'db/unique', 'identity']]);
    assert.equal(conn.view.attribute('x/fresh')?.unique, 'identity');
  });

  it('a tx over the datom limit is refused', async () => {
    const { conn } = await seeded({ txDatomsMax: 200 });
    const markets = Array.from({ length: 201 }, (_, i) => ({ 'market/id': `big-${i}` }));
    await refused(conn, () => conn.transact(markets), 'GSW_ERR_TX_TOO_LARGE', [/200 datoms/], {
      txDatomsMax: 200,
    });
    await conn.transact(markets.slice(0, 200));
  });

  it('as-of a tx in the future is refused', async () => {
    const { conn } = await seeded();
    assert.throws(
      () => conn.asOf(conn.basisTx + 1),
      (error: GswarmError) =>
        error.code === 'GSW_ERR_TX_IN_FUTURE' && /later than the basis/.test(error.message),
    );
    assert.throws(
      () => conn.datoms('xyz' as 'eavt'),
      (error: GswarmError) => error.code === 'GSW_ERR_BAD_INDEX' && /xyz/.test(error.message),
    );
  });
});

describe('the error catalogue and docs/errors.md', () => {
  const docsPath = join(import.meta.dirname, '..', 'docs', 'errors.md');
  const documented = () => {
    const rows = new Map<string, { status: number; meaning: string; action: string }>();
    for (const line of readFileSync(docsPath, 'utf8').split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim());
      const code = /^`(GSW_ERR_[A-Z_]+)`$/.exec(cells[1] ?? '')?.[1];
      if (code === undefined) continue;
      assert.equal(cells.length, 6, `row of ${code} has code, status, meaning, what to do`);
      assert.ok(!rows.has(code), `${code} is documented once`);
      rows.set(code, { status: Number(cells[2]), meaning: cells[3]!, action: cells[4]! });
    }
    return rows;
  };

  it('every catalogued code is documented with its status, a meaning and what to do', () => {
    const rows = documented();
    for (const [code, { status }] of Object.entries(errorCatalogue)) {
      const row = rows.get(code);
      assert.ok(row, `${code} is documented in docs/errors.md`);
      assert.equal(row.status, status, `${code}: documented status`);
      assert.ok(row.meaning.length > 10, `${code}: documented meaning`);
      assert.ok(row.action.length > 5, `${code}: documented action`);
    }
  });

  it('every documented code exists in the catalogue', () => {
    for (const code of documented().keys()) {
      assert.ok(code in errorCatalogue, `${code} (documented) is in errorCatalogue`);
    }
  });

  it('every GSW_ERR_* code raised in src is catalogued or documented', () => {
    const docs = readFileSync(docsPath, 'utf8');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? files(join(dir, entry.name))
          : entry.name.endsWith('.ts')
            ? [join(dir, entry.name)]
            : [],
      );
    const src = join(import.meta.dirname, '..', 'src');
    for (const file of files(src)) {
      for (const [code] of readFileSync(file, 'utf8').matchAll(/GSW_ERR_[A-Z_]*[A-Z]/g)) {
        assert.ok(code in errorCatalogue || docs.includes(`\`${code}\``), `${code} (${file}) is documented`);
      }
    }
  });

  it('GswarmError carries the status of its code', () => {
    for (const code of Object.keys(errorCatalogue) as ErrorCode[]) {
      const error = new GswarmError(code, 'x', { a: 1 });
      assert.equal(error.status, errorCatalogue[code].status);
      assert.equal(error.code, code);
      assert.deepEqual(error.data, { a: 1 });
    }
  });
});
