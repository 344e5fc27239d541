/** Datascript's test database of people (test_lookup_refs, test_query…), in a real Gswarm store. */
import { type Connection, open, storage } from '../../../src/index.js';

export async function openPeople(): Promise<Connection> {
  const conn = await open({
    storage: storage.memory(),
    schema: {
      'person/name': { valueType: 'string', unique: 'identity' },
      'person/age': { valueType: 'number' },
      'person/friend': { valueType: 'ref' },
      'person/parent': { valueType: 'ref' },
    },
  });
  await conn.transact([
    { 'db/id': 'ivan', 'person/name': 'Ivan', 'person/age': 11, 'person/friend': 'petr' },
    { 'db/id': 'petr', 'person/name': 'Petr', 'person/age': 22, 'person/friend': 'oleg' },
    { 'db/id': 'oleg', 'person/name': 'Oleg', 'person/age': 33, 'person/parent': 'ivan' },
  ]);
  return conn;
}
