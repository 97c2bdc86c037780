// What bench/relay.mjs imports from our TypeScript sources (one bundle: one PeerLink class).
export { CloudLinkClient } from '../../src/client/cloudlink.js';
export { PeerLink } from '../../src/peer/link.js';
export { startServer } from '../../src/server/server.js';
export { silentLogger } from '../../src/server/log.js';
export { webRtcRelay } from '../../src/server/relay/relay-provider.js';
