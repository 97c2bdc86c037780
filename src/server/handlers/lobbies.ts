// Finding, creating, joining and leaving lobbies (protocol.md §2).
import { Reply, type User } from '../../protocol/index.js';
import { Lobby } from '../lobby.js';
import { announceLobby, removeMember } from '../membership.js';
import { hashPassword, verifyPassword } from '../password.js';
import { NoRelay, relayOf } from './relay.js';
import { reply, warn, type Handler, type Request } from './request.js';

export const listLobbies: Handler<'LIST_LOBBIES'> = (request) => {
  const { ctx, player } = request;
  const names = [...ctx.store.lobbiesOf(player.game)].filter((lobby) => !lobby.settings.hidden).map((lobby) => lobby.name);
  reply(request, 'LIST_ACK', names);
};

export const findLobby: Handler<'FIND_LOBBY'> = (request) => {
  const lobby = request.ctx.store.lobby(request.player.game, request.payload);
  reply(request, 'FIND_ACK', lobby ? lobby.info() : Reply.notFound);
};

export const createLobby: Handler<'CREATE_LOBBY'> = async (request) => {
  const { ctx, player, payload } = request;
  if (player.lobby) return reply(request, 'CREATE_ACK', Reply.alreadyInLobby);
  if (ctx.store.lobby(player.game, payload.name)) return reply(request, 'CREATE_ACK', Reply.exists);
  if (payload.max_players === 0) {
    warn(request, 'payload.max_players must be -1 (unlimited) or at least 1');
    return reply(request, 'CREATE_ACK', Reply.invalid);
  }
  const password = payload.password === '' ? null : await hashPassword(payload.password);
  // Hashing yielded: the world may have moved on.
  if (!player.open) return;
  if (player.lobby) return reply(request, 'CREATE_ACK', Reply.alreadyInLobby);
  if (ctx.store.lobby(player.game, payload.name)) return reply(request, 'CREATE_ACK', Reply.exists);

  const lobby = new Lobby(payload.name, player.game, player, {
    maxPlayers: payload.max_players,
    password,
    locked: payload.locked,
    hidden: payload.hidden ?? false,
    relayEnabled: false,
  });
  ctx.store.addLobby(lobby);
  player.lobby = lobby;
  ctx.log('info', 'lobby.create', { game: lobby.game, lobby: lobby.name, host: player.id, hidden: lobby.settings.hidden });
  reply(request, 'CREATE_ACK', Reply.ok);
  player.send('TRANSITION', 'host');
  player.send('NEW_HOST', player.user!);
  if (!lobby.settings.hidden) announceLobby(ctx, lobby);
  // Not awaited: the player's next requests need not wait for a relay peer to boot.
  if (payload.enable_relay) {
    startRelay(request, lobby).catch((error: unknown) => ctx.log('error', 'relay.start_failed', { lobby: lobby.name, error: String(error) }));
  }
};

/** Makes it a relay lobby if this server has a relay; otherwise says so (relay_enabled stays false). */
async function startRelay(request: Request<'CREATE_LOBBY'>, lobby: Lobby): Promise<void> {
  let relayUser: User;
  try {
    relayUser = await relayOf(request.ctx, lobby);
  } catch (error) {
    if (!(error instanceof NoRelay)) throw error;
    // A lobby that closed meanwhile needs no word.
    if (request.ctx.store.lobby(lobby.game, lobby.name) === lobby) warn(request, error.message);
    return;
  }
  lobby.settings.relayEnabled = true;
  for (const member of lobby.members) member.send('RELAY', relayUser.instance_id);
}

export const joinLobby: Handler<'JOIN_LOBBY'> = async (request) => {
  const { ctx, player, payload } = request;
  const refusal = (): string | null => {
    if (player.lobby) return Reply.alreadyInLobby;
    const lobby = ctx.store.lobby(player.game, payload.name);
    if (!lobby) return Reply.notFound;
    if (lobby.settings.locked) return Reply.locked;
    if (lobby.full) return Reply.full;
    return null;
  };
  const early = refusal();
  if (early) return reply(request, 'JOIN_ACK', early);

  const stored = ctx.store.lobby(player.game, payload.name)!.settings.password;
  if (stored && !(await verifyPassword(payload.password ?? '', stored))) return reply(request, 'JOIN_ACK', Reply.password);
  if (!player.open) return;
  // Checking the password yielded: re-check, and against the lobby that exists now.
  const late = refusal();
  if (late) return reply(request, 'JOIN_ACK', late);
  const lobby = ctx.store.lobby(player.game, payload.name)!;
  if (lobby.settings.password !== stored) return reply(request, 'JOIN_ACK', Reply.password);

  const others = [...lobby.members];
  lobby.members.push(player);
  player.lobby = lobby;
  ctx.log('info', 'lobby.join', { game: lobby.game, lobby: lobby.name, player: player.id });
  reply(request, 'JOIN_ACK', Reply.ok);
  player.send('TRANSITION', 'peer');
  player.send('NEW_HOST', lobby.host.user!);
  for (const member of others) member.send(member === lobby.host ? 'NEW_PEER' : 'PEER_JOIN', player.user!);
  // A relay lobby (not a mesh lobby whose relay carries only some pairs).
  if (lobby.relayUser && lobby.settings.relayEnabled) {
    player.send('RELAY', lobby.relayUser.instance_id);
    // In a mesh the other members introduce themselves with their first signal; through a relay
    // nobody signals the joiner, so the server introduces them (after RELAY: no direct links).
    for (const member of others) if (member !== lobby.host) player.send('PEER_JOIN', member.user!);
  }
};

export const leaveLobby: Handler<'LEAVE_LOBBY'> = (request) => {
  const { player } = request;
  if (!player.lobby) return reply(request, 'LEAVE_ACK', Reply.notInLobby);
  removeMember(request.ctx, player, 'left');
  reply(request, 'LEAVE_ACK', Reply.ok);
  player.send('TRANSITION', '');
};
