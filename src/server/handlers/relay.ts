// A lobby's relay peer (protocol.md §5): started when a relay lobby is created, or in a mesh lobby on
// the first USE_RELAY — a pair of players whose direct link cannot open asks for it, and only the
// pairs that ask go through it while every other pair stays direct (a hybrid lobby).
import { Reply, Warning, type User } from '../../protocol/index.js';
import { lobbyKey, type RelayLobby, type RelaySignalSink, type ServerContext } from '../context.js';
import { sendTo } from '../membership.js';
import type { Player } from '../player.js';
import { reply, warn, type Handler } from './request.js';

/** Why the lobby has no relay peer: the text its requester is warned with (`lobbyOpen` false: nobody needs telling). */
export class NoRelay extends Error {
  constructor(
    message: string,
    readonly lobbyOpen = true,
  ) {
    super(message);
  }
}

/**
 * The lobby's relay peer, started on first use (once, however many ask meanwhile). `lobbyWide`
 * (a lobby created with enable_relay) makes it a relay lobby and tells every member. Rejects with NoRelay.
 */
export function relayOf(ctx: ServerContext, game: string, name: string, lobbyWide: boolean): Promise<User> {
  if (!ctx.relay) return Promise.reject(new NoRelay(Warning.relayUnavailable));
  const key = lobbyKey(game, name);
  let relay = ctx.relays.get(key);
  if (relay?.user) return Promise.resolve(relay.user);
  if (!relay) {
    relay = {
      game,
      name,
      lobbyWide: false,
      isMember: (id) => memberOf(ctx, id, game, name) !== undefined,
      user: null,
      starting: null,
    };
    ctx.relays.set(key, relay);
  }
  const starting = relay;
  starting.starting ??= startRelay(ctx, starting, lobbyWide).finally(() => {
    starting.starting = null;
  });
  return starting.starting;
}

/** This node's player `id` if it is a member of the lobby. */
function memberOf(ctx: ServerContext, id: string, game: string, name: string): Player | undefined {
  const player = ctx.players.get(id);
  return player?.game === game && player.lobby === name ? player : undefined;
}

async function startRelay(ctx: ServerContext, relay: RelayLobby, lobbyWide: boolean): Promise<User> {
  const provider = ctx.relay!;
  const key = lobbyKey(relay.game, relay.name);
  const forget = () => {
    if (ctx.relays.get(key) === relay) ctx.relays.delete(key);
  };
  // The relay's own signals go to members only, stamped with the relay's identity.
  const send: RelaySignalSink = (recipient, opcode, signal) => {
    const target = memberOf(ctx, recipient, relay.game, relay.name);
    if (target && relay.user) target.send(opcode, signal, { origin: relay.user });
  };
  let user: User;
  try {
    user = await provider.create(relay, send);
  } catch (error) {
    forget();
    ctx.log('error', 'relay.start_failed', { game: relay.game, lobby: relay.name, error: String(error) });
    throw new NoRelay('relay could not be started');
  }
  // Starting took time: the lobby may have closed meanwhile.
  const lobby = ctx.relays.get(key) === relay ? await ctx.store.setRelay(relay.game, relay.name, user, lobbyWide) : null;
  if (!lobby || ctx.relays.get(key) !== relay) {
    forget();
    try {
      provider.destroy(relay);
    } catch (error) {
      ctx.log('error', 'relay.destroy_failed', { error: String(error) });
    }
    throw new NoRelay('the lobby closed', false);
  }
  relay.user = user;
  relay.lobbyWide = lobby.settings.relayEnabled;
  ctx.log('info', 'relay.start', { game: relay.game, lobby: relay.name, relay: user.instance_id });
  if (lobbyWide) for (const member of lobby.members) sendTo(ctx, member.instance_id, 'RELAY', user.instance_id);
  return user;
}

/** USE_RELAY: relay me and another member from now on; both of us get RELAY_PAIR (mine answers the request). */
export const useRelay: Handler<'USE_RELAY'> = async (request) => {
  const { ctx, player, payload: peerId } = request;
  const lobby = player.lobby;
  if (!lobby) return warn(request, Reply.notInLobby);
  if (peerId === player.id || !memberOf(ctx, peerId, player.game, lobby)) return warn(request, Warning.peerInvalid);
  let relay: User;
  try {
    relay = await relayOf(ctx, player.game, lobby, false);
  } catch (error) {
    if (error instanceof NoRelay) return warn(request, error.message);
    throw error;
  }
  // Starting the relay yielded: both must still be in this lobby.
  if (!player.open) return;
  const peer = memberOf(ctx, peerId, player.game, lobby);
  if (player.lobby !== lobby || !peer) return warn(request, Warning.peerInvalid);
  ctx.log('info', 'relay.pair', { game: player.game, lobby, players: [player.id, peerId] });
  peer.send('RELAY_PAIR', { relay: relay.instance_id, peer: player.id });
  reply(request, 'RELAY_PAIR', { relay: relay.instance_id, peer: peerId });
};
