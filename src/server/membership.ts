// Taking players out of lobbies, shared by leave, kick, disconnect and close: the order of
// messages here is the protocol's (§2 host migration), so it lives in one place.
import type { Lobby } from './lobby.js';
import type { Player } from './player.js';
import type { ServerContext } from './context.js';

/** Removes `player` from its lobby and tells the others; migrates the host or deletes the lobby. */
export function removeMember(ctx: ServerContext, player: Player, why: string): void {
  const lobby = player.lobby;
  if (!lobby) return;
  const index = lobby.members.indexOf(player);
  if (index !== -1) lobby.members.splice(index, 1);
  player.lobby = null;
  ctx.log('info', 'lobby.leave', { game: lobby.game, lobby: lobby.name, player: player.id, why });
  if (lobby.relayUser) guarded(ctx, 'relay.member_left_failed', () => ctx.relay?.memberLeft?.(lobby, player.id));

  if (lobby.members.length === 0) {
    deleteLobby(ctx, lobby);
    return;
  }
  if (lobby.host === player) {
    const host = lobby.members[0]!;
    lobby.host = host;
    host.send('TRANSITION', 'host');
    for (const member of lobby.others(host)) member.send('NEW_HOST', host.user!);
    ctx.log('info', 'lobby.migrate', { game: lobby.game, lobby: lobby.name, host: host.id });
  }
  for (const member of lobby.members) member.send('PEER_LEFT', player.id);
}

/** Ends a lobby: every member is told and leaves it. */
export function closeLobby(ctx: ServerContext, lobby: Lobby): void {
  for (const member of lobby.members) {
    member.lobby = null;
    member.send('LOBBY_CLOSED', lobby.name);
    member.send('TRANSITION', '');
  }
  lobby.members.length = 0;
  deleteLobby(ctx, lobby);
}

function deleteLobby(ctx: ServerContext, lobby: Lobby): void {
  ctx.store.deleteLobby(lobby);
  if (lobby.relayUser) guarded(ctx, 'relay.destroy_failed', () => ctx.relay?.destroy(lobby));
  ctx.log('info', 'lobby.delete', { game: lobby.game, lobby: lobby.name });
}

/** NEW_LOBBY to the players of the lobby's game who are not in a lobby (protocol.md §2). */
export function announceLobby(ctx: ServerContext, lobby: Lobby): void {
  for (const other of ctx.store.playersOf(lobby.game)) if (!other.lobby) other.send('NEW_LOBBY', lobby.name);
}

/** Runs a pluggable service's callback; its failure is logged, never thrown into a socket event. */
function guarded(ctx: ServerContext, event: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    ctx.log('error', event, { error: String(error) });
  }
}
