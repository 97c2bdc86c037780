// CloudLinkClients on wrtc closed as the mesh tests close their players (test/mesh/players.ts closeAll):
// all in one turn, then awaited until WebRTC has let go of every link, before the server stops or the
// next test starts (docs/architecture.md, "Closing WebRTC connections in Node"). Their wrtc must be
// heldWrtc(wrtc) for the wait to mean anything.
import type { CloudLinkClient } from '../../src/client/cloudlink.js';

export async function disconnectAll(clients: CloudLinkClient[]): Promise<void> {
  // Torn down before the disconnect, which would tear it down too but drop the promise of its release.
  const released = clients.map((client) => client.mesh?.destroy());
  for (const client of clients) client.disconnect();
  await Promise.all(released);
}
