// Delivering what a lobby command did to the members on this node: the order of messages here is
// the protocol's (§2 host migration), so it lives in one place. The store decided; this only tells.
import { encodePacket, type ServerOpcode, type ServerPayloads } from '../protocol/index.js';
import { lobbyKey, type ServerContext } from './context.js';
import type { Player } from './player.js';
import type { LobbyNews } from './lobby-announcer.js';
import type { Departure, LobbyRecord } from './store.js';

/** Sends to a player: directly if this node holds it, else (several nodes) through the cluster. */
export function sendTo<K extends ServerOpcode>(ctx: ServerContext, instanceId: string, opcode: K, payload: ServerPayloads[K]): void {
  const player = ctx.players.get(instanceId);
  if (player) player.send(opcode, payload);
  else ctx.cluster?.send(instanceId, encodePacket({ opcode, payload }));
}

/** Takes `player` out of its lobby (leave, disconnect, a released seat) and tells the others. */
export async function leaveLobby(ctx: ServerContext, player: Player, why: string): Promise<Departure | null> {
  const departure = await ctx.store.leave(player.game, player.id);
  if (departure) departed(ctx, departure, why);
  return departure;
}

/**
 * Takes out for good a player this node has no connection of (several nodes: a dead node's player, a
 * seat whose resume found a gap): its lobby, as a leave would, then its name, seat and log.
 */
export async function releaseRecord(ctx: ServerContext, game: string, id: string, why: string): Promise<void> {
  try {
    const departure = await ctx.store.leave(game, id);
    if (departure) departed(ctx, departure, why);
    await ctx.store.removePlayer(game, id);
    await ctx.cluster?.unregister(id);
    ctx.log('info', 'player.disconnect', { game, player: id, why });
  } catch (error) {
    ctx.log('error', 'player.release_failed', { player: id, error: String(error) });
  }
}

/** A member is out (left, kicked, disconnected): PEER_LEFT to the others, after a host migration if any. */
export function departed(ctx: ServerContext, { left, lobby, newHost, closed }: Departure, why: string): void {
  const leaver = ctx.players.get(left.instance_id);
  if (leaver?.lobby === lobby.name) leaver.lobby = null;
  ctx.log('info', 'lobby.leave', { game: lobby.game, lobby: lobby.name, player: left.instance_id, why });
  const relay = ctx.relays.get(lobbyKey(lobby.game, lobby.name));
  if (relay?.user) guarded(ctx, 'relay.member_left_failed', () => ctx.relay?.memberLeft?.(relay, left.instance_id));
  // A relay peer another node runs hears it as a lobby event (handlers/relay.ts, relayHeard).
  else if (lobby.relay && !closed) sendTo(ctx, lobby.relay.instance_id, 'PEER_LEFT', left.instance_id);
  if (closed) {
    deleted(ctx, lobby);
    return;
  }
  if (newHost) {
    sendTo(ctx, newHost.instance_id, 'TRANSITION', 'host');
    // The new host too (protocol.md §2: everyone learns a new host): upstream clients learn "am I host" only from NEW_HOST.
    for (const member of lobby.members) sendTo(ctx, member.instance_id, 'NEW_HOST', newHost);
    ctx.log('info', 'lobby.migrate', { game: lobby.game, lobby: lobby.name, host: newHost.instance_id });
  }
  for (const member of lobby.members) sendTo(ctx, member.instance_id, 'PEER_LEFT', left.instance_id);
}

/** A lobby was closed: every member is told and is in no lobby any more. */
export function closed(ctx: ServerContext, lobby: LobbyRecord): void {
  for (const member of lobby.members) {
    const player = ctx.players.get(member.instance_id);
    if (player) player.lobby = null;
    sendTo(ctx, member.instance_id, 'LOBBY_CLOSED', lobby.name);
    sendTo(ctx, member.instance_id, 'TRANSITION', '');
  }
  deleted(ctx, lobby);
}

function deleted(ctx: ServerContext, lobby: LobbyRecord): void {
  if (!lobby.settings.hidden) unannounce(ctx, lobby);
  const key = lobbyKey(lobby.game, lobby.name);
  const relay = ctx.relays.get(key);
  // One still starting is stopped by its starter, which finds it gone.
  ctx.relays.delete(key);
  if (relay?.user) {
    guarded(ctx, 'relay.destroy_failed', () => ctx.relay?.destroy(relay));
    ctx.cluster?.unregister(relay.user.instance_id).catch(() => {});
  } else if (lobby.relay) sendTo(ctx, lobby.relay.instance_id, 'LOBBY_CLOSED', lobby.name);
  ctx.log('info', 'lobby.delete', { game: lobby.game, lobby: lobby.name });
}

const newsOf = (lobby: LobbyRecord): LobbyNews => ({ game: lobby.game, name: lobby.name, created: lobby.created ?? 0 });

/** A lobby became visible (created, or shown): NEW_LOBBY to the idle players of every node, coalesced (protocol.md §2). */
export function announce(ctx: ServerContext, lobby: LobbyRecord): void {
  if (ctx.cluster) ctx.cluster.lobbyNews('announce', newsOf(lobby));
  else ctx.announcer.add(newsOf(lobby));
}

/** A visible lobby closed, or a lobby was hidden: if its announcement is still waiting on any node, it is not sent. */
export function unannounce(ctx: ServerContext, lobby: LobbyRecord): void {
  if (ctx.cluster) ctx.cluster.lobbyNews('retract', newsOf(lobby));
  else ctx.announcer.retract(newsOf(lobby));
}

/** Runs a pluggable service's callback; its failure is logged, never thrown into a socket event. */
function guarded(ctx: ServerContext, event: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    ctx.log('error', event, { error: String(error) });
  }
}
