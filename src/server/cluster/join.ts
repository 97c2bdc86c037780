// What a node does for the cluster (--redis): the answers to what arrives on its channel, and the
// heartbeat's verdicts (a dead node's players and relay peers to release, Redis that lost its data, this
// node's own players released while it was cut off), and the fan-out budgets its addresses share with the
// other nodes.
import type { ServerContext } from '../context.js';
import { relayHeard, replaceRelay } from '../handlers/relay.js';
import { releaseRecord } from '../membership.js';
import type { Player } from '../player.js';
import type { Seats } from '../seats.js';
import type { Cluster } from './cluster.js';
import { FanoutShare } from './fanout-share.js';
import { NodeWatch } from './node-watch.js';

/** How a node closes its players' connections when their seats are gone from Redis: they resume, are refused, and start again. */
const STATE_LOST = { code: 1011, reason: 'server state lost: the shared store restarted' };
const RELEASED = { code: 1011, reason: 'seat released while this server node was cut off from the shared store' };

/** Subscribes the node to its channel and starts its heartbeat; the caller stops what is returned at shutdown. */
export async function joinCluster(
  ctx: ServerContext,
  cluster: Cluster,
  { seats, graceMs }: { seats: Seats; graceMs: number },
): Promise<{ stop(): Promise<void> }> {
  /** This node lets go of a player without touching the store (another node, or nobody, holds its seat now). */
  const letGo = (player: Player, closing?: { code: number; reason: string }): void => {
    player.evicted = true;
    ctx.players.delete(player.id);
    seats.forget(player);
    cluster.forget(player.id);
    player.outlet = null;
    if (!player.open) return;
    if (closing) player.close(closing.code, closing.reason);
    else player.socket.terminate();
  };
  // An address's fan-out budget is one for the cluster: what it spends here is spent on every node.
  const share = new FanoutShare((spends) => cluster.shareSpends(spends));
  ctx.fanout.shareWith((address, messages) => share.spent(address, messages));
  await cluster.start({
    toRelay: (relayId, frame) => relayHeard(ctx, relayId, frame),
    // Resumed on another node: this copy goes quietly (its seat lives on there).
    evict(id) {
      const player = ctx.players.get(id);
      if (!player) return;
      letGo(player);
      ctx.log('info', 'player.moved', { game: player.game, player: id });
    },
    leftLobby(id) {
      const player = ctx.players.get(id);
      if (player) player.lobby = null;
    },
    lobbyNews(kind, news) {
      if (kind === 'announce') ctx.announcer.add(news);
      else ctx.announcer.retract(news);
    },
    spentElsewhere(spends) {
      for (const [address, messages] of spends) ctx.fanout.spentElsewhere(address, messages);
    },
  });
  const watch = new NodeWatch(
    cluster,
    graceMs,
    {
      release: (orphan) => (orphan.kind === 'relay' ? replaceRelay(ctx, orphan) : releaseRecord(ctx, orphan.game, orphan.id, 'its server node stopped')),
      stateLost() {
        // Nothing in Redis any more: every player here starts again (their resume is refused).
        for (const player of [...ctx.players.values()]) letGo(player, STATE_LOST);
        for (const relay of ctx.relays.values()) if (relay.user) ctx.relay?.destroy(relay);
        ctx.relays.clear();
      },
      released(ids) {
        for (const id of ids) {
          const player = ctx.players.get(id);
          if (player) letGo(player, RELEASED);
        }
      },
      held: () => [...ctx.players.keys()],
    },
    ctx.log,
  );
  await watch.start();
  return {
    stop() {
      share.stop();
      return watch.stop();
    },
  };
}
