// MANAGE_LOBBY: host-only lobby administration. Each method is one store command (which also checks
// that the sender is the host); what it did is then told to the members.
import { instanceId, lobbyMetadata, maxPlayers, metadataChange, password, ProtocolError, Reply, Warning, type ManageMethod } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import { ANNOUNCEMENT_MESSAGES } from '../fanout-budget.js';
import { announce, closed, departed, sendTo, unannounce } from '../membership.js';
import type { Player } from '../player.js';
import type { NotHost, SettingsChange } from '../store.js';
import { reply, type Handler } from './request.js';

type Action = (ctx: ServerContext, host: Player, args: unknown) => Promise<string>;

const refused: Record<NotHost, string> = { 'not-in-lobby': Reply.notInLobby, unauthorized: Reply.unauthorized };

const settings =
  (change: SettingsChange): Action =>
  (ctx, host) =>
    setSettings(ctx, host, change);

async function setSettings(ctx: ServerContext, host: Player, change: SettingsChange): Promise<string> {
  const result = await ctx.store.setSettings(host.game, host.id, change);
  if (result.outcome === 'below-current-players') return 'below current players';
  if (result.outcome !== 'ok') return refused[result.outcome];
  // A hidden lobby shown: idle players learn of it now, as if it had just been created visible; hidden: not at all.
  if (result.shown) {
    announce(ctx, result.lobby);
    ctx.fanout.charge(host, ANNOUNCEMENT_MESSAGES);
  } else if (result.lobby.settings.hidden) unannounce(ctx, result.lobby);
  return Reply.ok;
}

const actions: Record<ManageMethod, Action> = {
  lock: settings({ locked: true }),
  unlock: settings({ locked: false }),
  hide: settings({ hidden: true }),
  // Announced to every idle player, as a create is: refused while the host's fan-out budget is spent.
  show: (ctx, host) => Promise.resolve(ctx.fanout.refusal(host) ?? setSettings(ctx, host, { hidden: false })),

  async kick(ctx, host, args) {
    const result = await ctx.store.kick(host.game, host.id, instanceId(args, 'args'));
    if (result.outcome === 'not-a-member') return 'not a member';
    if (result.outcome === 'self') return 'cannot kick yourself';
    if (result.outcome !== 'ok') return refused[result.outcome];
    const target = result.departure.left.instance_id;
    departed(ctx, result.departure, 'kicked');
    sendTo(ctx, target, 'WARNING', Warning.kicked);
    sendTo(ctx, target, 'TRANSITION', '');
    return Reply.ok;
  },

  async change_password(ctx, host, args) {
    const text = password(args, 'args');
    return setSettings(ctx, host, { password: text === '' ? null : await ctx.passwords.hash(text) });
  },

  change_max_players(ctx, host, args) {
    const max = maxPlayers(args, 'args');
    if (max === 0) return Promise.resolve('invalid args: must be -1 or at least 1');
    return setSettings(ctx, host, { maxPlayers: max });
  },

  async transfer_ownership(ctx, host, args) {
    const result = await ctx.store.setHost(host.game, host.id, instanceId(args, 'args'));
    if (result.outcome === 'not-a-member') return 'not a member';
    if (result.outcome === 'already-host') return 'already host';
    if (result.outcome !== 'ok') return refused[result.outcome];
    const { lobby, previous } = result;
    sendTo(ctx, lobby.host.instance_id, 'TRANSITION', 'host');
    sendTo(ctx, previous.instance_id, 'TRANSITION', 'peer');
    for (const member of lobby.members) sendTo(ctx, member.instance_id, 'NEW_HOST', lobby.host);
    return Reply.ok;
  },

  /** Merges entries into the metadata (null removes one); the result must still be within the limits. */
  async set_metadata(ctx, host, args) {
    const change = metadataChange(args, 'args');
    // Read, merged, written: only the host writes metadata, and its requests run one at a time.
    const current = (await ctx.store.lobbyOf(host.game, host.id))?.settings.metadata ?? {};
    const merged = Object.fromEntries(Object.entries({ ...current, ...change }).filter(([, value]) => value !== null));
    return setSettings(ctx, host, { metadata: lobbyMetadata(merged, 'the lobby metadata after the change') });
  },

  async close_lobby(ctx, host) {
    const result = await ctx.store.close(host.game, host.id);
    if (result.outcome !== 'ok') return refused[result.outcome];
    closed(ctx, result.lobby);
    return Reply.ok;
  },
};

export const manageLobby: Handler<'MANAGE_LOBBY'> = async (request) => {
  const { ctx, player, payload } = request;
  // Refusals before the arguments are looked at (the command itself decides again).
  const lobby = await ctx.store.lobbyOf(player.game, player.id);
  if (!lobby) return reply(request, 'MANAGE_ACK', Reply.notInLobby);
  if (lobby.host.instance_id !== player.id) return reply(request, 'MANAGE_ACK', Reply.unauthorized);
  let result: string;
  try {
    result = await actions[payload.method](ctx, player, payload.args);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    result = `invalid args: ${error.message}`;
  }
  if (result === Reply.ok) ctx.log('info', 'lobby.manage', { game: lobby.game, lobby: lobby.name, method: payload.method });
  reply(request, 'MANAGE_ACK', result);
};
