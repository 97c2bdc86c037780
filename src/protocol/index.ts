// The shared protocol module: opcode definitions, validation, codec and limits. No I/O.
export * from './schema.js';
export * from './has-own.js';
export * from './limits.js';
export * from './out-of-band.js';
export * from './in-band.js';
export * from './merge-payloads.js';
export * from './envelope.js';
export * from './version.js';
export * from './relay-refusal.js';
export * from './connection-refusal.js';
