// A lobby's relay peer (protocol.md §5): started when a relay lobby is created, or in a mesh lobby on
// the first USE_RELAY — a pair of players whose direct link cannot open asks for it, and only the
// pairs that ask go through it while every other pair stays direct (a hybrid lobby).
import { Reply, Warning, type User } from '../../protocol/index.js';
import type { RelaySignalSink, ServerContext } from '../context.js';
import type { Lobby } from '../lobby.js';
import { reply, warn, type Handler } from './request.js';

/** Why the lobby has no relay peer: the text its requester is warned with. */
export class NoRelay extends Error {}

/** The lobby's relay peer, started on first use (once, however many ask meanwhile). Rejects with NoRelay. */
export function relayOf(ctx: ServerContext, lobby: Lobby): Promise<User> {
  if (lobby.relayUser) return Promise.resolve(lobby.relayUser);
  lobby.relayStarting ??= startRelay(ctx, lobby).finally(() => {
    lobby.relayStarting = null;
  });
  return lobby.relayStarting;
}

async function startRelay(ctx: ServerContext, lobby: Lobby): Promise<User> {
  const relay = ctx.relay;
  if (!relay) throw new NoRelay(Warning.relayUnavailable);
  // The relay's own signals go to members only, stamped with the relay's identity.
  const send: RelaySignalSink = (recipient, opcode, signal) => {
    const target = lobby.member(recipient);
    if (target && lobby.relayUser) target.send(opcode, signal, { origin: lobby.relayUser });
  };
  let relayUser: User;
  try {
    relayUser = await relay.create(lobby, send);
  } catch (error) {
    ctx.log('error', 'relay.start_failed', { game: lobby.game, lobby: lobby.name, error: String(error) });
    throw new NoRelay('relay could not be started');
  }
  // Starting took time: the lobby may have closed meanwhile.
  if (ctx.store.lobby(lobby.game, lobby.name) !== lobby || lobby.members.length === 0) {
    try {
      relay.destroy(lobby);
    } catch (error) {
      ctx.log('error', 'relay.destroy_failed', { error: String(error) });
    }
    throw new NoRelay('the lobby closed');
  }
  lobby.relayUser = relayUser;
  ctx.log('info', 'relay.start', { game: lobby.game, lobby: lobby.name, relay: relayUser.instance_id });
  return relayUser;
}

/** USE_RELAY: relay me and another member from now on; both of us get RELAY_PAIR (mine answers the request). */
export const useRelay: Handler<'USE_RELAY'> = async (request) => {
  const { ctx, player, payload: peerId } = request;
  const lobby = player.lobby;
  if (!lobby) return warn(request, Reply.notInLobby);
  if (peerId === player.id || !lobby.member(peerId)) return warn(request, Warning.peerInvalid);
  let relay: User;
  try {
    relay = await relayOf(ctx, lobby);
  } catch (error) {
    if (error instanceof NoRelay) return warn(request, error.message);
    throw error;
  }
  // Starting the relay yielded: both must still be in this lobby.
  if (!player.open) return;
  const peer = lobby.member(peerId);
  if (player.lobby !== lobby || !peer) return warn(request, Warning.peerInvalid);
  ctx.log('info', 'relay.pair', { game: lobby.game, lobby: lobby.name, players: [player.id, peerId] });
  peer.send('RELAY_PAIR', { relay: relay.instance_id, peer: player.id });
  reply(request, 'RELAY_PAIR', { relay: relay.instance_id, peer: peerId });
};
