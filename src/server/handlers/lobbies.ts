// Finding, creating, joining and leaving lobbies (protocol.md §2). The store decides; these reply and tell.
import { LIST_REPLY_MAX, Reply, Warning, type ClientOpcode, type LobbyFilter } from '../../protocol/index.js';
import { lobbyKey, type ServerContext } from '../context.js';
import { announce, leaveLobby, sendTo } from '../membership.js';
import { ANNOUNCEMENT_MESSAGES } from '../fanout-budget.js';
import { joinCooldownRefusal } from '../join-cooldown.js';
import { storeFilter } from '../lobby-filter.js';
import { lobbyInfo, lobbySummary, type Listed, type LobbyRecord } from '../store.js';
import { NoRelay, relayJoined, relayOf } from './relay.js';
import { reply, warn, type Handler, type Request } from './request.js';

/**
 * Without a payload the upstream reply, names only; with a filter, a summary of each matching lobby.
 * Either way at most LIST_REPLY_MAX, oldest first (a 25-byte request must not buy a 67 KB answer); when
 * more matched, a WARNING after the reply says how many (the reply keeps the shape clients expect).
 */
export const listLobbies: Handler<'LIST_LOBBIES'> = async (request) => {
  const { ctx, player, payload } = request;
  const { first, total } = payload === undefined ? await ctx.store.list(player.game, LIST_REPLY_MAX) : await summaries(ctx, player.game, payload);
  reply(request, 'LIST_ACK', first);
  if (total > first.length) player.send('WARNING', `${Warning.listTruncated}: the oldest ${first.length} of ${total} lobbies`);
};

async function summaries(ctx: ServerContext, game: string, filter: LobbyFilter): Promise<Listed<ReturnType<typeof lobbySummary>>> {
  const { first, total } = await ctx.store.listMatching(game, storeFilter(filter), LIST_REPLY_MAX);
  return { first: first.map(lobbySummary), total };
}

export const findLobby: Handler<'FIND_LOBBY'> = async (request) => {
  const lobby = await request.ctx.store.find(request.player.game, request.payload);
  reply(request, 'FIND_ACK', lobby ? lobbyInfo(lobby) : Reply.notFound);
};

export const createLobby: Handler<'CREATE_LOBBY'> = async (request) => {
  const { ctx, player, payload } = request;
  // Cheap refusals first, so a refused request costs no password hash (without one, the store's create decides at once).
  if (player.lobby) return reply(request, 'CREATE_ACK', Reply.alreadyInLobby);
  if (payload.password !== '' && (await ctx.store.find(player.game, payload.name))) return reply(request, 'CREATE_ACK', Reply.exists);
  if (payload.max_players === 0) {
    warn(request, 'payload.max_players must be -1 (unlimited) or at least 1');
    return reply(request, 'CREATE_ACK', Reply.invalid);
  }
  // A visible lobby is announced to every idle player: refused while this player's fan-out budget is spent.
  const spent = payload.hidden ? null : ctx.fanout.refusal(player);
  if (spent) return reply(request, 'CREATE_ACK', spent);
  const password = payload.password === '' ? null : await ctx.passwords.hash(payload.password);
  // Hashing yielded: the world may have moved on (the store decides again).
  if (!player.open) return;
  const hidden = payload.hidden ?? false;
  const settings = { maxPlayers: payload.max_players, password, locked: payload.locked, hidden, relayEnabled: false, metadata: payload.metadata ?? {} };
  const created = await ctx.store.create(player.game, payload.name, player.user!, settings);
  if (created.outcome !== 'ok') return reply(request, 'CREATE_ACK', created.outcome === 'exists' ? Reply.exists : Reply.alreadyInLobby);
  reply(request, 'CREATE_ACK', Reply.ok);
  becameHost(request, created.lobby, payload.enable_relay);
};

/** After the ACK of a create (or a quick join that created): I am host; idle players hear of the lobby; its relay starts. */
export function becameHost(request: Request<ClientOpcode>, lobby: LobbyRecord, enableRelay: boolean): void {
  const { ctx, player } = request;
  player.lobby = lobby.name;
  ctx.log('info', 'lobby.create', { game: lobby.game, lobby: lobby.name, host: player.id, hidden: lobby.settings.hidden });
  player.send('TRANSITION', 'host');
  player.send('NEW_HOST', player.user!);
  if (!lobby.settings.hidden) {
    announce(ctx, lobby);
    ctx.fanout.charge(player, ANNOUNCEMENT_MESSAGES);
  }
  // Not awaited: the player's next requests need not wait for a relay peer to boot.
  if (enableRelay) {
    startRelay(request, lobby).catch((error: unknown) => ctx.log('error', 'relay.start_failed', { lobby: lobby.name, error: String(error) }));
  }
}

/** Makes it a relay lobby if this server has a relay; otherwise says so (relay_enabled stays false). */
async function startRelay(request: Request<ClientOpcode>, lobby: LobbyRecord): Promise<void> {
  try {
    await relayOf(request.ctx, lobby.game, lobby.name, true);
  } catch (error) {
    if (!(error instanceof NoRelay)) throw error;
    // A lobby that closed meanwhile needs no word.
    if (error.lobbyOpen) warn(request, error.message);
  }
}

const joinRefusals = { 'in-lobby': Reply.alreadyInLobby, 'not-found': Reply.notFound, locked: Reply.locked, full: Reply.full, password: Reply.password };

export const joinLobby: Handler<'JOIN_LOBBY'> = async (request) => {
  const { ctx, player, payload } = request;
  if (player.lobby) return reply(request, 'JOIN_ACK', Reply.alreadyInLobby);
  const churning = joinRefusal(request);
  if (churning) return reply(request, 'JOIN_ACK', churning);
  const guarded = lobbyKey(player.game, payload.name);
  let waitMs = 0;
  const joined = await ctx.store.join(player.game, payload.name, player.user!, async (stored) => {
    // Refused before scrypt runs while this lobby or this address has used up its wrong guesses.
    const checked = await ctx.passwordGuard.check(guarded, player.address, (clean) => ctx.passwords.verify(payload.password ?? '', stored, { ahead: clean }));
    waitMs = checked.waitMs;
    if (checked.tellHost) void tellHostOfGuessing(ctx, player.game, payload.name);
    return checked.right;
  });
  if (joined.outcome !== 'ok') {
    if (joined.outcome === 'password' && waitMs > 0) warn(request, `${Warning.passwordAttempts}: try again in ${Math.ceil(waitMs / 1000)} s`);
    return reply(request, 'JOIN_ACK', joinRefusals[joined.outcome]);
  }
  reply(request, 'JOIN_ACK', Reply.ok);
  becamePeer(request, joined.lobby);
};

/**
 * Why `request`'s player may not join now, or null: it joined too lately (join-cooldown.ts), or the
 * fan-out its joins caused has spent its budget (fanout-budget.ts).
 */
export function joinRefusal(request: Request<ClientOpcode>): string | null {
  const { ctx, player } = request;
  return joinCooldownRefusal(player.lastJoinAt, ctx.joinCooldownMs) ?? ctx.fanout.refusal(player);
}

/** After the ACK of a join (or a quick join that joined): the joiner learns the host, the members learn the joiner. */
export function becamePeer(request: Request<ClientOpcode>, lobby: LobbyRecord): void {
  const { ctx, player } = request;
  player.lobby = lobby.name;
  player.lastJoinAt = Date.now();
  ctx.log('info', 'lobby.join', { game: lobby.game, lobby: lobby.name, player: player.id });
  player.send('TRANSITION', 'peer');
  player.send('NEW_HOST', lobby.host);
  const others = lobby.members.filter((member) => member.instance_id !== player.id);
  const isHost = (member: { instance_id: string }) => member.instance_id === lobby.host.instance_id;
  for (const member of others) sendTo(ctx, member.instance_id, isHost(member) ? 'NEW_PEER' : 'PEER_JOIN', player.user!);
  // Each member is told, and may then signal the joiner outside its own limits: the joiner pays for both.
  ctx.fanout.charge(player, others.length * (1 + ctx.signalCredit));
  // A relay peer another node runs learns of the new member (packets addressed to it are then held, not dropped).
  if (lobby.relay && ctx.cluster) relayJoined(ctx, lobby.game, lobby.name, lobby.relay.instance_id, player.user!);
  // A relay lobby (not a mesh lobby whose relay carries only some pairs).
  if (lobby.relay && lobby.settings.relayEnabled) {
    player.send('RELAY', lobby.relay.instance_id);
    // In a mesh the other members introduce themselves with their first signal; through a relay
    // nobody signals the joiner, so the server introduces them (after RELAY: no direct links).
    for (const member of others) if (!isHost(member)) player.send('PEER_JOIN', member);
  }
}

export const leaveLobbyHandler: Handler<'LEAVE_LOBBY'> = async (request) => {
  const { ctx, player } = request;
  const departure = await leaveLobby(ctx, player, 'left');
  if (!departure) return reply(request, 'LEAVE_ACK', Reply.notInLobby);
  // Never refused (anyone may leave), but the members told are charged: a join/leave churn pays for both.
  ctx.fanout.charge(player, departure.closed ? 0 : departure.lobby.members.length);
  reply(request, 'LEAVE_ACK', Reply.ok);
  player.send('TRANSITION', '');
};

/** The host hears once a minute at most that its lobby's password is being guessed. */
async function tellHostOfGuessing(ctx: ServerContext, game: string, name: string): Promise<void> {
  ctx.log('warn', 'lobby.password_guessing', { game, lobby: name });
  try {
    const lobby = await ctx.store.find(game, name);
    if (lobby) sendTo(ctx, lobby.host.instance_id, 'WARNING', Warning.passwordGuessed);
  } catch (error) {
    ctx.log('error', 'lobby.password_guessing_notice_failed', { game, lobby: name, error: String(error) });
  }
}
