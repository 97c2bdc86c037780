// Finding, creating, joining and leaving lobbies (protocol.md §2). The store decides; these reply and tell.
import { Reply } from '../../protocol/index.js';
import { announce, leaveLobby, sendTo } from '../membership.js';
import { hashPassword, verifyPassword } from '../password.js';
import { lobbyInfo, type LobbyRecord } from '../store.js';
import { NoRelay, relayJoined, relayOf } from './relay.js';
import { reply, warn, type Handler, type Request } from './request.js';

export const listLobbies: Handler<'LIST_LOBBIES'> = async (request) => {
  reply(request, 'LIST_ACK', await request.ctx.store.list(request.player.game));
};

export const findLobby: Handler<'FIND_LOBBY'> = async (request) => {
  const lobby = await request.ctx.store.find(request.player.game, request.payload);
  reply(request, 'FIND_ACK', lobby ? lobbyInfo(lobby) : Reply.notFound);
};

export const createLobby: Handler<'CREATE_LOBBY'> = async (request) => {
  const { ctx, player, payload } = request;
  // Cheap refusals first, so a refused request costs no password hash.
  if (player.lobby) return reply(request, 'CREATE_ACK', Reply.alreadyInLobby);
  if (await ctx.store.find(player.game, payload.name)) return reply(request, 'CREATE_ACK', Reply.exists);
  if (payload.max_players === 0) {
    warn(request, 'payload.max_players must be -1 (unlimited) or at least 1');
    return reply(request, 'CREATE_ACK', Reply.invalid);
  }
  const password = payload.password === '' ? null : await hashPassword(payload.password);
  // Hashing yielded: the world may have moved on (the store decides again).
  if (!player.open) return;
  const hidden = payload.hidden ?? false;
  const settings = { maxPlayers: payload.max_players, password, locked: payload.locked, hidden, relayEnabled: false };
  const created = await ctx.store.create(player.game, payload.name, player.user!, settings);
  if (created.outcome !== 'ok') return reply(request, 'CREATE_ACK', created.outcome === 'exists' ? Reply.exists : Reply.alreadyInLobby);
  const { lobby } = created;
  player.lobby = lobby.name;
  ctx.log('info', 'lobby.create', { game: lobby.game, lobby: lobby.name, host: player.id, hidden });
  reply(request, 'CREATE_ACK', Reply.ok);
  player.send('TRANSITION', 'host');
  player.send('NEW_HOST', player.user!);
  announce(ctx, lobby, created.announceTo);
  // Not awaited: the player's next requests need not wait for a relay peer to boot.
  if (payload.enable_relay) {
    startRelay(request, lobby).catch((error: unknown) => ctx.log('error', 'relay.start_failed', { lobby: lobby.name, error: String(error) }));
  }
};

/** Makes it a relay lobby if this server has a relay; otherwise says so (relay_enabled stays false). */
async function startRelay(request: Request<'CREATE_LOBBY'>, lobby: LobbyRecord): Promise<void> {
  try {
    await relayOf(request.ctx, lobby.game, lobby.name, true);
  } catch (error) {
    if (!(error instanceof NoRelay)) throw error;
    // A lobby that closed meanwhile needs no word.
    if (error.lobbyOpen) warn(request, error.message);
  }
}

const joinRefusal = { 'in-lobby': Reply.alreadyInLobby, 'not-found': Reply.notFound, locked: Reply.locked, full: Reply.full, password: Reply.password };

export const joinLobby: Handler<'JOIN_LOBBY'> = async (request) => {
  const { ctx, player, payload } = request;
  if (player.lobby) return reply(request, 'JOIN_ACK', Reply.alreadyInLobby);
  const joined = await ctx.store.join(player.game, payload.name, player.user!, (stored) => verifyPassword(payload.password ?? '', stored));
  if (joined.outcome !== 'ok') return reply(request, 'JOIN_ACK', joinRefusal[joined.outcome]);
  const { lobby } = joined;
  player.lobby = lobby.name;
  ctx.log('info', 'lobby.join', { game: lobby.game, lobby: lobby.name, player: player.id });
  reply(request, 'JOIN_ACK', Reply.ok);
  player.send('TRANSITION', 'peer');
  player.send('NEW_HOST', lobby.host);
  const others = lobby.members.filter((member) => member.instance_id !== player.id);
  const isHost = (member: { instance_id: string }) => member.instance_id === lobby.host.instance_id;
  for (const member of others) sendTo(ctx, member.instance_id, isHost(member) ? 'NEW_PEER' : 'PEER_JOIN', player.user!);
  // A relay peer another node runs learns of the new member (packets addressed to it are then held, not dropped).
  if (lobby.relay && ctx.cluster) relayJoined(ctx, lobby.game, lobby.name, lobby.relay.instance_id, player.user!);
  // A relay lobby (not a mesh lobby whose relay carries only some pairs).
  if (lobby.relay && lobby.settings.relayEnabled) {
    player.send('RELAY', lobby.relay.instance_id);
    // In a mesh the other members introduce themselves with their first signal; through a relay
    // nobody signals the joiner, so the server introduces them (after RELAY: no direct links).
    for (const member of others) if (!isHost(member)) player.send('PEER_JOIN', member);
  }
};

export const leaveLobbyHandler: Handler<'LEAVE_LOBBY'> = async (request) => {
  const { ctx, player } = request;
  if (!(await leaveLobby(ctx, player, 'left'))) return reply(request, 'LEAVE_ACK', Reply.notInLobby);
  reply(request, 'LEAVE_ACK', Reply.ok);
  player.send('TRANSITION', '');
};
