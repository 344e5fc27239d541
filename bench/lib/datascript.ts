/**
 * Datascript, the JavaScript reference for the same model, loaded untyped through require (the
 * package ships no types); queries reach it through the EDN printer of src/db/query/edn-print.ts.
 */
import { createRequire } from 'node:module';

export type DsDb = { readonly __datascriptDb: unique symbol };

export interface Datascript {
  empty_db(schema?: Record<string, Record<string, string>>): DsDb;
  db_with(db: DsDb, txData: unknown[]): DsDb;
  q(query: string, ...inputs: unknown[]): unknown;
}

export const datascript = createRequire(import.meta.url)('datascript') as Datascript;

export { printQuery as toEdn, printRules as rulesToEdn } from '../../src/db/query/edn-print.js';
export type { Query as JsonQuery } from '../../src/db/query/index.js';
