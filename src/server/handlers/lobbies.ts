// Finding, creating, joining and leaving lobbies (protocol.md §2).
import { Reply } from '../../protocol/index.js';
import { Lobby } from '../lobby.js';
import { removeMember } from '../membership.js';
import { hashPassword, verifyPassword } from '../password.js';
import type { Player } from '../player.js';
import { reply, warn, type Handler } from './request.js';

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
  if (!lobby.settings.hidden) {
    for (const other of ctx.store.playersOf(player.game)) if (!other.lobby) other.send('NEW_LOBBY', lobby.name);
  }
  if (payload.enable_relay) await startRelay(request.ctx, lobby, player);
};

async function startRelay(ctx: Parameters<Handler<'CREATE_LOBBY'>>[0]['ctx'], lobby: Lobby, host: Player): Promise<void> {
  if (!ctx.relay) {
    host.send('WARNING', 'relay not available on this server');
    return;
  }
  try {
    lobby.relayUser = await ctx.relay.create(lobby);
    lobby.settings.relayEnabled = true;
    for (const member of lobby.members) member.send('RELAY', lobby.relayUser.instance_id);
  } catch (error) {
    ctx.log('error', 'relay.start_failed', { lobby: lobby.name, error: String(error) });
    host.send('WARNING', 'relay could not be started');
  }
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
  if (lobby.relayUser) player.send('RELAY', lobby.relayUser.instance_id);
};

export const leaveLobby: Handler<'LEAVE_LOBBY'> = (request) => {
  const { player } = request;
  if (!player.lobby) return reply(request, 'LEAVE_ACK', Reply.notInLobby);
  removeMember(request.ctx, player, 'left');
  reply(request, 'LEAVE_ACK', Reply.ok);
  player.send('TRANSITION', '');
};
