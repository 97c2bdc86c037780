// What the benchmarks import from our TypeScript sources.
export { Session } from '../../src/client/session.js';
export { Mesh } from '../../src/client/mesh/mesh.js';
export { startServer } from '../../src/server/server.js';
export { silentLogger } from '../../src/server/log.js';
