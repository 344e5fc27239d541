/** The HTTP API: `buildServer` and the wire shapes it speaks. */
export { buildServer } from './server.js';
export { type ServerLimits, type ServerOptions, defaultLimits } from './options.js';
export type * from './wire.js';
