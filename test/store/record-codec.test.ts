/**
 * The record codec and the strings it carries: a string that cannot survive UTF-8 (a lone
 * surrogate) is refused at validation with a coded error, and never reaches the log; what the
 * codec writes it reads back unchanged; a record of broken shape or out of tx order is refused
 * where it is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { InvariantError } from '../../src/db/assert.js';
import { DatomColumns, type DatomRow } from '../../src/db/datom-columns.js';
import type { TxRecord } from '../../src/db/db.js';
import { GswarmError } from '../../src/errors.js';
import { decodeRecord, encodeRecord } from '../../src/log/record-codec.js';
import { marketSchema } from '../../src/market/schema.js';
import { Swarm } from '../../src/market/swarm.js';
import { open } from '../../src/store/connection.js';
import { storage } from '../../src/store/storage.js';
import { temporaryDirs } from './support.js';

const tempDir = temporaryDirs('unicode');

function isValueTypeError(attribute: string) {
  return (error: unknown) =>
    error instanceof GswarmError &&
    error.code === 'GSW_ERR_VALUE_TYPE' &&
    error.status === 400 &&
    error.data.attribute === attribute &&
    /well-formed Unicode/.test(error.message);
}

describe('strings that are not well-formed Unicode', () => {
  it('are refused by transact, naming the item and attribute', async () => {
    const conn = await open({ storage: storage.memory(), schema: marketSchema });
    await assert.rejects(conn.transact([{ 'market/id': '\ud800' }]), isValueTypeError('market/id'));
    await assert.rejects(
      conn.transact([{ 'market/id': 'm' }, { 'market/id': 'n', 'market/name': 'a\udc00b' }]),
      (error: unknown) => isValueTypeError('market/name')(error) && (error as GswarmError).data.item === 1,
    );
    assert.equal(conn.count('market/id'), 0, 'nothing of a refused tx is stored');
    await conn.close();
  });

  it('are refused in a tick batch, and well-formed ids (pairs included) survive a restart', async () => {
    const dir = tempDir();
    const swarm = await Swarm.open({ storage: storage.persistent(dir) });
    await swarm.ingest({ markets: [{ id: 'm' }] });
    const tick = (id: string) => ({ id, market: 'm', price: 1, volume: 1, ts: 1 });
    await assert.rejects(swarm.ingest({ ticks: [tick('\ud800')] }), isValueTypeError('tick/id'));
    await assert.rejects(swarm.ingest({ ticks: [tick('ok'), tick('\udc00')] }), isValueTypeError('tick/id'));
    await swarm.ingest({ ticks: [tick('\ud83d\ude00'), tick('é\u0301')] });
    await swarm.close();
    const reopened = await Swarm.open({ storage: storage.persistent(dir) });
    const ids = reopened.conn.view.datoms('aevt', 'tick/id').map((d) => d.v);
    assert.deepEqual(ids.sort(), ['\ud83d\ude00', 'é\u0301'].sort());
    await reopened.close();
  });
});

const record = (
  rows: readonly DatomRow[] = [
    [1025, 10, 'x', true],
    [1026, 11, 2, false],
  ],
): TxRecord => ({
  tx: 5,
  instantMs: 7,
  datoms: DatomColumns.of(rows),
});

describe('the record codec', () => {
  it('reads back every record it writes', () => {
    const value = fc.oneof(fc.string({ unit: 'grapheme' }), fc.double({ noNaN: true }), fc.boolean());
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat(), value, fc.boolean())),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (datoms, tx) => {
          const written: TxRecord = { tx, instantMs: 3, datoms: DatomColumns.of(datoms) };
          const read = decodeRecord(encodeRecord(written));
          assert.deepEqual([read.tx, read.instantMs, read.datoms.rows()], [tx, 3, datoms]);
        },
      ),
    );
  });

  it('refuses to write a string that would not read back', () => {
    assert.throws(() => encodeRecord(record([[1025, 10, '\ud800', true]])), InvariantError);
  });

  it('refuses to read a record whose tx id does not follow the previous one', () => {
    const bytes = encodeRecord(record());
    assert.equal(decodeRecord(bytes, 4).tx, 5);
    assert.throws(() => decodeRecord(bytes, 5), /tx ids read from the log increase/);
  });

  it('refuses to read columns of unequal lengths or missing strings', () => {
    const wire = (changes: Record<string, unknown>) =>
      pack({
        tx: 5,
        instantMs: 7,
        e: new Uint8Array(16),
        a: new Uint8Array(16),
        added: new Uint8Array(2),
        kinds: new Uint8Array([1, 0]),
        num: new Uint8Array(16),
        str: ['x'],
        ...changes,
      });
    assert.equal(decodeRecord(wire({})).datoms.v(0), 'x');
    assert.throws(() => decodeRecord(wire({ e: new Uint8Array(8) })), /equal column lengths/);
    assert.throws(() => decodeRecord(wire({ added: new Uint8Array(3) })), /equal column lengths/);
    assert.throws(() => decodeRecord(wire({ str: [] })), /one string per string value/);
    assert.throws(() => decodeRecord(wire({ str: ['x', 'y'] })), /one string per string value/);
  });
});
