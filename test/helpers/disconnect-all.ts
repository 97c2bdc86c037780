// What a test ran on wrtc, closed as the mesh tests close their players (test/mesh/players.ts closeAll):
// all in one turn, then awaited until WebRTC has let go of every link, before the server stops or the
// next test starts (docs/architecture.md, "Native WebRTC crashes in Node"). Clients' wrtc must be
// the held one (test/helpers/wrtc.ts) for the wait to mean anything.
import type { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';

export interface AlsoClosed {
  /** Anything else with links of its own whose close resolves once they are released (mesh test players). */
  players?: { close(): Promise<void> }[];
  /** In-process relays: left running, their peers would forward what was in flight to members whose links are closing. */
  relays?: WebRtcRelayProvider[];
}

export async function disconnectAll(clients: CloudLinkClient[], also: AlsoClosed = {}): Promise<void> {
  // Torn down before the disconnect, which would tear it down too but drop the promise of its release.
  const released: Promise<void>[] = clients.map((client) => client.mesh?.destroy() ?? Promise.resolve());
  for (const relay of also.relays ?? []) for (const peer of relay.peers.values()) released.push(peer.destroy());
  for (const player of also.players ?? []) released.push(player.close());
  for (const client of clients) client.disconnect();
  await Promise.all(released);
}
