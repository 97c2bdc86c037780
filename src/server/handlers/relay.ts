// A lobby's relay peer (protocol.md §5): started when a relay lobby is created, or in a mesh lobby on
// the first USE_RELAY — a pair of players whose direct link cannot open asks for it, and only the
// pairs that ask go through it while every other pair stays direct (a hybrid lobby).
import { decodeServerPacket, encodePacket, Reply, SIGNAL_VOICE, Warning, type RelayedOpcode, type User } from '../../protocol/index.js';
import { senderAddress, type Cluster, type Orphan } from '../cluster/cluster.js';
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
export async function relayOf(ctx: ServerContext, game: string, name: string, lobbyWide: boolean): Promise<User> {
  if (!ctx.relay) throw new NoRelay(Warning.relayUnavailable);
  const key = lobbyKey(game, name);
  let relay = ctx.relays.get(key);
  if (relay?.user) return relay.user;
  if (!relay && ctx.cluster) {
    // Several nodes: the lobby's relay peer runs on one of them, the first to claim it.
    const elsewhere = await relayElsewhere(ctx, game, name);
    if (elsewhere) return elsewhere;
    relay = ctx.relays.get(key);
    if (relay?.user) return relay.user;
  }
  if (!relay) {
    const remoteMembers = new Set<string>();
    relay = {
      game,
      name,
      lobbyWide: false,
      isMember: (id) => memberOf(ctx, id, game, name) !== undefined || remoteMembers.has(id),
      remoteMembers,
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

/** How long a node waits for the relay peer another node claimed to be recorded in the store. */
const RELAY_ELSEWHERE_MS = 10_000;

/**
 * The relay peer of a lobby when another node runs (or is starting) it; null when this node won the
 * claim (a key set only if absent, so two nodes never start one each) and starts it.
 */
async function relayElsewhere(ctx: ServerContext, game: string, name: string): Promise<User | null> {
  const cluster = ctx.cluster!;
  // A relay recorded for the lobby counts while it is registered (a dead node's relay is unregistered by a survivor).
  const recorded = async () => {
    const relay = (await ctx.store.find(game, name))?.relay ?? null;
    return relay && (await cluster.redis.exists(cluster.key('player', relay.instance_id))) ? relay : null;
  };
  const known = await recorded();
  if (known) return known;
  const claim = relayClaim(cluster, game, name);
  if ((await cluster.redis.set(claim, cluster.nodeId, 'PX', RELAY_ELSEWHERE_MS, 'NX')) === 'OK') return null;
  const deadline = Date.now() + RELAY_ELSEWHERE_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const relay = await recorded();
    if (relay) return relay;
    if (!(await ctx.store.find(game, name))) throw new NoRelay('the lobby closed', false);
  }
  throw new NoRelay('relay could not be started');
}

/**
 * A frame for a relay peer this node runs, from another node (cluster.ts): a member's signal, or a
 * lobby event the relay must act on (a member left, the lobby closed).
 */
export function relayHeard(ctx: ServerContext, relayId: string, frame: string): void {
  const relay = [...ctx.relays.values()].find((each) => each.user?.instance_id === relayId);
  if (!relay || !ctx.relay) return;
  let packet: { opcode: string; payload: unknown; origin?: User };
  try {
    packet = decodeServerPacket(frame) as typeof packet;
  } catch (error) {
    return void ctx.log('warn', 'relay.bad_frame', { relay: relayId, error: String(error) });
  }
  if (packet.opcode === 'PEER_JOIN') {
    relay.remoteMembers.add((packet.payload as User).instance_id);
    return;
  }
  if (packet.opcode === 'PEER_LEFT') {
    relay.remoteMembers.delete(packet.payload as string);
    return void ctx.relay.memberLeft?.(relay, packet.payload as string);
  }
  if (packet.opcode === 'LOBBY_CLOSED') {
    ctx.relays.delete(lobbyKey(relay.game, relay.name));
    ctx.relay.destroy(relay);
    return void ctx.cluster?.unregister(relayId).catch(() => {});
  }
  const signal = packet.payload as { type: number; contents: unknown };
  // The relay carries data only (§5); a voice signal must not reset a member's relay link.
  if (!packet.origin || signal.type === SIGNAL_VOICE) return;
  relay.remoteMembers.add(packet.origin.instance_id);
  ctx.tally.signals += 1;
  // Only an offer is counted against its address (relay-process.ts).
  const address = packet.opcode === 'MAKE_OFFER' ? senderAddress(frame) : undefined;
  ctx.relay.signal(relay, packet.origin, packet.opcode as RelayedOpcode, signal as Parameters<NonNullable<ServerContext['relay']>['signal']>[3], address);
}

/** A player joined a lobby whose relay peer runs on another node: that node is told (relayHeard). */
export function relayJoined(ctx: ServerContext, game: string, name: string, relayId: string, user: User): void {
  if (!ctx.relays.get(lobbyKey(game, name))?.user) sendTo(ctx, relayId, 'PEER_JOIN', user);
}

/**
 * The relay peer of a dead node (cluster/node-watch.ts), claimed by this node: renewed as when its
 * relay process dies (the same warning, the same new relay peer), so that a hybrid lobby's relayed
 * pairs move too, not only a relay lobby.
 */
export const replaceRelay = (ctx: ServerContext, orphan: Orphan): Promise<void> => renewRelay(ctx, orphan.game, orphan.lobby, orphan.id);

/**
 * A relay peer is gone (its node or its relay process died): it is unregistered and, if it was the
 * lobby's, every member on every node is told `Warning.relayLost` (a member whose node died gets it when
 * it resumes: it waits in its log). In a mesh lobby the members whose pairs it carried ask again
 * (USE_RELAY) and the first ask starts a new relay peer; a relay lobby gets a new one here at once,
 * announced with RELAY to every member (its clients ignore the warning).
 */
async function renewRelay(ctx: ServerContext, game: string, name: string, deadId: string): Promise<void> {
  const lobby = await ctx.store.find(game, name);
  const wasLobbys = lobby?.relay?.instance_id === deadId;
  // Its claim to run the lobby's relay goes with it; first, since nobody claims while it is still registered.
  if (ctx.cluster && wasLobbys) await ctx.cluster.redis.del(relayClaim(ctx.cluster, game, name));
  await ctx.cluster?.unregister(deadId);
  if (!lobby || !wasLobbys) return;
  for (const member of lobby.members) sendTo(ctx, member.instance_id, 'WARNING', Warning.relayLost);
  if (!lobby.settings.relayEnabled) return void ctx.log('info', 'relay.lost_told', { game, lobby: name, dead: deadId, members: lobby.members.length });
  try {
    const relay = await relayOf(ctx, game, name, true);
    ctx.log('info', 'relay.replaced', { game, lobby: name, dead: deadId, relay: relay.instance_id });
  } catch (error) {
    ctx.log('warn', 'relay.replace_failed', { game, lobby: name, error: String(error) });
  }
}

/** The provider lost this node's relay peer of a lobby (relay-process.ts: its process died). */
function relayLost(ctx: ServerContext, relay: RelayLobby, why: string): void {
  const key = lobbyKey(relay.game, relay.name);
  if (ctx.relays.get(key) !== relay || !relay.user) return;
  ctx.relays.delete(key);
  ctx.log('warn', 'relay.lost', { game: relay.game, lobby: relay.name, relay: relay.user.instance_id, why });
  renewRelay(ctx, relay.game, relay.name, relay.user.instance_id).catch((error: unknown) =>
    ctx.log('warn', 'relay.replace_failed', { game: relay.game, lobby: relay.name, error: String(error) }),
  );
}

const relayClaim = (cluster: Cluster, game: string, name: string): string => cluster.key('relay', JSON.stringify([game, name]));

/** This node's player `id` if it is a member of the lobby. */
function memberOf(ctx: ServerContext, id: string, game: string, name: string): Player | undefined {
  const player = ctx.players.get(id);
  return player?.game === game && player.lobby === name ? player : undefined;
}

/** Whether `id` is a member of the lobby: this node's view of its own players, else the store's. */
async function isMember(ctx: ServerContext, id: string, game: string, name: string): Promise<boolean> {
  if (memberOf(ctx, id, game, name)) return true;
  return !!ctx.cluster && !ctx.players.has(id) && (await ctx.store.lobbyOf(game, id))?.name === name;
}

async function startRelay(ctx: ServerContext, relay: RelayLobby, lobbyWide: boolean): Promise<User> {
  const provider = ctx.relay!;
  const key = lobbyKey(relay.game, relay.name);
  const forget = () => {
    if (ctx.relays.get(key) === relay) ctx.relays.delete(key);
  };
  // The relay's own signals go to members only, stamped with the relay's identity.
  const send: RelaySignalSink = (recipient, opcode, signal) => {
    if (!relay.user) return;
    const target = memberOf(ctx, recipient, relay.game, relay.name);
    if (target) return target.send(opcode, signal, { origin: relay.user });
    // A member another node holds: the cluster checks it is still in the lobby as it appends.
    if (ctx.cluster && relay.remoteMembers.has(recipient)) {
      const frame = encodePacket({ opcode, payload: signal, origin: relay.user });
      ctx.cluster
        .append(recipient, frame, { game: relay.game, lobby: relay.name })
        .catch((error: unknown) => ctx.log('warn', 'cluster.send_failed', { to: recipient, error: String(error) }));
    }
  };
  let user: User;
  try {
    user = await provider.create(relay, send, {
      warn: (member, text) => sendTo(ctx, member, 'WARNING', text),
      lost: (why) => relayLost(ctx, relay, why),
    });
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
  // Members other nodes hold (those who join later are announced by their node: relayJoined).
  if (ctx.cluster) for (const member of lobby.members) if (!ctx.players.has(member.instance_id)) relay.remoteMembers.add(member.instance_id);
  await ctx.cluster?.registerRelay(user.instance_id, relay.game, relay.name);
  ctx.log('info', 'relay.start', { game: relay.game, lobby: relay.name, relay: user.instance_id });
  if (lobbyWide) for (const member of lobby.members) sendTo(ctx, member.instance_id, 'RELAY', user.instance_id);
  return user;
}

/** USE_RELAY: relay me and another member from now on; both of us get RELAY_PAIR (mine answers the request). */
export const useRelay: Handler<'USE_RELAY'> = async (request) => {
  const { ctx, player, payload: peerId } = request;
  const lobby = player.lobby;
  if (!lobby) return warn(request, Reply.notInLobby);
  if (peerId === player.id || !(await isMember(ctx, peerId, player.game, lobby))) return warn(request, Warning.peerInvalid);
  let relay: User;
  try {
    relay = await relayOf(ctx, player.game, lobby, false);
  } catch (error) {
    if (error instanceof NoRelay) return warn(request, error.message);
    throw error;
  }
  // Starting the relay yielded: both must still be in this lobby.
  if (!player.open) return;
  if (player.lobby !== lobby || !(await isMember(ctx, peerId, player.game, lobby))) return warn(request, Warning.peerInvalid);
  ctx.log('info', 'relay.pair', { game: player.game, lobby, players: [player.id, peerId] });
  sendTo(ctx, peerId, 'RELAY_PAIR', { relay: relay.instance_id, peer: player.id });
  reply(request, 'RELAY_PAIR', { relay: relay.instance_id, peer: peerId });
};
