// The RelayProvider the server uses for lobbies created with enable_relay, and for mesh lobbies whose
// players ask for it (USE_RELAY): one RelayPeer per lobby.
import { randomUUID } from 'node:crypto';
import type { RelayedOpcode, User } from '../../protocol/index.js';
import type { RelayLobby, RelayProvider, RelaySignalSink, SignalPayload } from '../context.js';
import { RelayPeer, type RelayPeerOptions } from './relay-peer.js';

export interface WebRtcRelayProvider extends RelayProvider {
  /** The running relay peers, by lobby (for status and tests). */
  readonly peers: Map<RelayLobby, RelayPeer>;
}

export function webRtcRelay(options: RelayPeerOptions): WebRtcRelayProvider {
  const peers = new Map<RelayLobby, RelayPeer>();
  return {
    peers,
    async create(lobby: RelayLobby, send: RelaySignalSink): Promise<User> {
      const id = randomUUID();
      const user: User = { instance_id: id, user_id: id, username: 'relay' };
      const isMember = (instanceId: string) => lobby.isMember(instanceId);
      // A mesh lobby's relay carries only the pairs that asked for it: it forwards addressed packets only.
      const lobbyWide = () => lobby.lobbyWide;
      peers.set(lobby, new RelayPeer(user, isMember, lobbyWide, send, options));
      return user;
    },
    signal(lobby: RelayLobby, from: User, opcode: RelayedOpcode, payload: SignalPayload): void {
      peers.get(lobby)?.signal(from, opcode, payload);
    },
    memberLeft(lobby: RelayLobby, instanceId: string): void {
      peers.get(lobby)?.memberLeft(instanceId);
    },
    destroy(lobby: RelayLobby): void {
      peers.get(lobby)?.destroy();
      peers.delete(lobby);
    },
    links(): number {
      let links = 0;
      for (const peer of peers.values()) links += peer.memberLinks;
      return links;
    },
  };
}
