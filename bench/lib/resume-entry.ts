// What bench/resume.mjs imports from our TypeScript sources.
export { CloudLinkClient } from '../../src/client/cloudlink.js';
export { startServer } from '../../src/server/server.js';
export { silentLogger } from '../../src/server/log.js';
export { TcpProxy } from '../../test/helpers/tcp-proxy.js';
