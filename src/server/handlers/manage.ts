// MANAGE_LOBBY: host-only lobby administration.
import { instanceId, maxPlayers, password, ProtocolError, Reply, Warning, type ManageMethod } from '../../protocol/index.js';
import type { Lobby } from '../lobby.js';
import { announceLobby, closeLobby, removeMember } from '../membership.js';
import { hashPassword } from '../password.js';
import type { Player } from '../player.js';
import type { ServerContext } from '../context.js';
import { reply, type Handler } from './request.js';

type Action = (ctx: ServerContext, lobby: Lobby, host: Player, args: unknown) => string | Promise<string>;

const member = (lobby: Lobby, args: unknown): Player | string => {
  const id = instanceId(args, 'args');
  return lobby.member(id) ?? 'not a member';
};

const actions: Record<ManageMethod, Action> = {
  lock(_ctx, lobby) {
    lobby.settings.locked = true;
    return Reply.ok;
  },
  unlock(_ctx, lobby) {
    lobby.settings.locked = false;
    return Reply.ok;
  },
  hide(_ctx, lobby) {
    lobby.settings.hidden = true;
    return Reply.ok;
  },
  show(ctx, lobby) {
    if (!lobby.settings.hidden) return Reply.ok;
    lobby.settings.hidden = false;
    // Idle players learn of it now, as if it had just been created visible.
    announceLobby(ctx, lobby);
    return Reply.ok;
  },

  kick(ctx, lobby, host, args) {
    const target = member(lobby, args);
    if (typeof target === 'string') return target;
    if (target === host) return 'cannot kick yourself';
    removeMember(ctx, target, 'kicked');
    target.send('WARNING', Warning.kicked);
    target.send('TRANSITION', '');
    return Reply.ok;
  },

  async change_password(_ctx, lobby, _host, args) {
    const text = password(args, 'args');
    lobby.settings.password = text === '' ? null : await hashPassword(text);
    return Reply.ok;
  },

  change_max_players(_ctx, lobby, _host, args) {
    const max = maxPlayers(args, 'args');
    if (max === 0) return 'invalid args: must be -1 or at least 1';
    if (max !== -1 && max < lobby.members.length) return 'below current players';
    lobby.settings.maxPlayers = max;
    return Reply.ok;
  },

  transfer_ownership(_ctx, lobby, host, args) {
    const target = member(lobby, args);
    if (typeof target === 'string') return target;
    if (target === host) return 'already host';
    lobby.host = target;
    target.send('TRANSITION', 'host');
    host.send('TRANSITION', 'peer');
    for (const each of lobby.members) each.send('NEW_HOST', target.user!);
    return Reply.ok;
  },

  close_lobby(ctx, lobby) {
    closeLobby(ctx, lobby);
    return Reply.ok;
  },
};

export const manageLobby: Handler<'MANAGE_LOBBY'> = async (request) => {
  const { ctx, player, payload } = request;
  const lobby = player.lobby;
  if (!lobby) return reply(request, 'MANAGE_ACK', Reply.notInLobby);
  if (lobby.host !== player) return reply(request, 'MANAGE_ACK', Reply.unauthorized);
  let result: string;
  try {
    result = await actions[payload.method](ctx, lobby, player, payload.args);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    result = `invalid args: ${error.message}`;
  }
  if (result === Reply.ok) ctx.log('info', 'lobby.manage', { game: lobby.game, lobby: lobby.name, method: payload.method });
  reply(request, 'MANAGE_ACK', result);
};
