/** Gswarm's public surface: what users may rely on. Everything else is internal. */
export type { TxReport } from './db/db.js';
export type { Clock } from './db/ids.js';
export type { Attribute, AttributeSpec, Datom, IndexName, SchemaSpec, Value, ValueType } from './db/types.js';
export type { View } from './db/view.js';
export { type ErrorCode, errorCatalogue, GswarmError } from './errors.js';
export { marketSchema } from './market/schema.js';
export { type Connection, type Fault, type OpenOptions, open } from './store/connection.js';
export { type Storage, storage } from './store/storage.js';

import { marketSchema } from './market/schema.js';

/** Ready-made schemas. */
export const schemas = { market: marketSchema };
