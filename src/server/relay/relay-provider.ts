// The RelayProvider the server uses for lobbies created with enable_relay, and for mesh lobbies whose
// players ask for it (USE_RELAY): one RelayPeer per lobby.
import { randomUUID } from 'node:crypto';
import type { RelayedOpcode, User } from '../../protocol/index.js';
import type { RelayProvider, RelaySignalSink, SignalPayload } from '../context.js';
import type { Lobby } from '../lobby.js';
import { RelayPeer, type RelayPeerOptions } from './relay-peer.js';

export interface WebRtcRelayProvider extends RelayProvider {
  /** The running relay peers, by lobby (for status and tests). */
  readonly peers: Map<Lobby, RelayPeer>;
}

export function webRtcRelay(options: RelayPeerOptions): WebRtcRelayProvider {
  const peers = new Map<Lobby, RelayPeer>();
  return {
    peers,
    async create(lobby: Lobby, send: RelaySignalSink): Promise<User> {
      const id = randomUUID();
      const user: User = { instance_id: id, user_id: id, username: 'relay' };
      const isMember = (instanceId: string) => lobby.members.some((member) => member.id === instanceId);
      // A mesh lobby's relay carries only the pairs that asked for it: it forwards addressed packets only.
      const lobbyWide = () => lobby.settings.relayEnabled;
      peers.set(lobby, new RelayPeer(user, isMember, lobbyWide, send, options));
      return user;
    },
    signal(lobby: Lobby, from: User, opcode: RelayedOpcode, payload: SignalPayload): void {
      peers.get(lobby)?.signal(from, opcode, payload);
    },
    memberLeft(lobby: Lobby, instanceId: string): void {
      peers.get(lobby)?.memberLeft(instanceId);
    },
    destroy(lobby: Lobby): void {
      peers.get(lobby)?.destroy();
      peers.delete(lobby);
    },
  };
}
