// QUICK_JOIN (docs/protocol-notes.md "Matchmaking"): the store picks the oldest open lobby matching the
// filter, or creates one, in one atomic step; this replies and tells, as a join or a create would.
import { lobbyMetadata, ProtocolError, Reply } from '../../protocol/index.js';
import { storeFilter } from '../lobby-filter.js';
import { readableLobbyPrefix } from '../lobby-names.js';
import { becameHost, becamePeer, joinRefusal } from './lobbies.js';
import { reply, warn, type Handler, type Request } from './request.js';

export const quickJoin: Handler<'QUICK_JOIN'> = async (request) => {
  const { ctx, player, payload } = request;
  if (player.lobby) return reply(request, 'QUICK_JOIN_ACK', Reply.alreadyInLobby);
  const churning = joinRefusal(request);
  if (churning) return reply(request, 'QUICK_JOIN_ACK', churning);
  const { create } = payload;
  if (create.max_players === 0) return invalid(request, 'payload.create.max_players must be -1 (unlimited) or at least 1');
  const filter = storeFilter(payload.filter);
  // A lobby made here must match what was looked for, so the next quick joins with the same filter find it.
  const metadata = { ...create.metadata, ...filter.metadata };
  try {
    lobbyMetadata(metadata, 'payload.create.metadata with payload.filter.metadata');
  } catch (error) {
    if (error instanceof ProtocolError) return invalid(request, error.message);
    throw error;
  }
  const settings = { maxPlayers: create.max_players, password: null, locked: false, hidden: false, relayEnabled: false, metadata };
  const result = await ctx.store.quickJoin(player.game, player.user!, filter, { namePrefix: readableLobbyPrefix(), settings });
  if (result.outcome === 'in-lobby') return reply(request, 'QUICK_JOIN_ACK', Reply.alreadyInLobby);
  reply(request, 'QUICK_JOIN_ACK', { name: result.lobby.name, created: result.outcome === 'created' });
  if (result.outcome === 'created') becameHost(request, result.lobby, create.enable_relay ?? false);
  else becamePeer(request, result.lobby);
};

function invalid(request: Request<'QUICK_JOIN'>, reason: string): void {
  warn(request, reason);
  reply(request, 'QUICK_JOIN_ACK', Reply.invalid);
}
