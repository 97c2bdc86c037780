// What a test ran on wrtc, closed all in one turn, then awaited until WebRTC has let go of every link,
// before the server stops or the next test starts. In one turn: a player still running while its peers'
// links close could send on a channel WebRTC's thread is closing under it, which crashes wrtc
// (docs/architecture.md, "Native WebRTC crashes in Node"). Clients' wrtc must be the one made safe for
// Node (test/helpers/wrtc.ts) for the wait to mean anything.
import type { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebRtcRelayProvider } from '../../src/server/relay/relay-provider.js';

/** A test player with links of its own: mesh test players, Scratch VM players. */
export interface Closable {
  /** Closes it; resolves once WebRTC has let go of its links. */
  close(): Promise<void>;
}

/** Closes every player in one turn, then waits until WebRTC has let go of all their links. */
export async function closeAll(players: Closable[]): Promise<void> {
  await Promise.all(players.map((p) => p.close()));
}

export interface AlsoClosed {
  /** Players closed in the same turn as the clients. */
  players?: Closable[];
  /** In-process relays: left running, their peers would forward what was in flight to members whose links are closing. */
  relays?: WebRtcRelayProvider[];
}

/** Closes `clients` (and what `also` names) in one turn, then waits until WebRTC has let go of their links. */
export async function disconnectAll(clients: CloudLinkClient[], also: AlsoClosed = {}): Promise<void> {
  // Torn down before the disconnect, which would tear it down too but drop the promise of its release.
  const released: Promise<void>[] = clients.map((client) => client.mesh?.destroy() ?? Promise.resolve());
  for (const relay of also.relays ?? []) for (const peer of relay.peers.values()) released.push(peer.destroy());
  released.push(closeAll(also.players ?? []));
  for (const client of clients) client.disconnect();
  await Promise.all(released);
}
