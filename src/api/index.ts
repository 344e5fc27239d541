/** The HTTP API: `buildServer` and the wire shapes it speaks. */

export { defaultLimits, type ServerLimits, type ServerOptions } from './options.js';
export { buildServer } from './server.js';
export type * from './wire.js';
