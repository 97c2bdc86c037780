// Which nodes are alive (several nodes, --redis). Each node refreshes `node:{id}:alive` every
// HEARTBEAT_MS with a TTL of three beats and lists itself in `nodes`. Every node looks at the others on
// each beat: a node whose key expired (killed, partitioned) or was deleted (stopped) is dead; once the
// resume grace period has passed since that was noticed, its players who did not resume elsewhere are
// released like a normal leave (host migration, PEER_LEFT). When several survivors notice at once, the
// `claimOrphan` script gives each player to exactly one of them.
//
// The same beat notices a Redis that lost its data (restarted without persistence): the `epoch` key a
// node saw at start is gone or different. Every lobby, seat and log is lost then; the node says so to
// its players and closes their connections (their resume is refused: they start again).
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Cluster, Orphan } from './cluster.js';

export const HEARTBEAT_MS = 1000;
/** A node that missed this many beats is dead. */
const BEATS_TO_DIE = 3;

export interface NodeWatchHost {
  /** A dead node's player (after the grace period) or relay peer (at once) this node claimed: take it out for good. */
  release(orphan: Orphan): Promise<void>;
  /** Redis lost every lobby, seat and log (a restart without persistence). */
  stateLost(): void;
  /** This node could not beat for longer than the others wait: ids of its players another node may have released meanwhile. */
  released(ids: string[]): void;
  /** The ids of the players this node holds. */
  held(): string[];
}

export class NodeWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private epoch: string | null = null;
  /** Other nodes found dead, and when that was first noticed. */
  private readonly dead = new Map<string, number>();
  private lastBeat = Date.now();
  private beating = false;
  private failing = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly graceMs: number,
    private readonly host: NodeWatchHost,
    private readonly log: Logger,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  private get aliveKey(): string {
    return this.cluster.key('node', this.cluster.nodeId, 'alive');
  }

  async start(): Promise<void> {
    this.epoch = await this.currentEpoch();
    await this.beat();
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref();
  }

  /** The node stops: others see it dead at once (its players are released after their grace period). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.cluster.redis.del(this.aliveKey).catch(() => {});
  }

  /** The epoch of this Redis's data, made by the first node to look. */
  private async currentEpoch(): Promise<string> {
    const key = this.cluster.key('epoch');
    await this.cluster.redis.set(key, randomBytes(8).toString('hex'), 'NX');
    return (await this.cluster.redis.get(key))!;
  }

  private async beat(): Promise<void> {
    const redis = this.cluster.redis;
    await redis.set(this.aliveKey, this.cluster.nodeId, 'PX', this.heartbeatMs * BEATS_TO_DIE);
    await redis.sadd(this.cluster.key('nodes'), this.cluster.nodeId);
  }

  private async tick(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      const epoch = await this.currentEpoch();
      if (epoch !== this.epoch) {
        this.log('error', 'cluster.state_lost', { reason: 'redis lost its data (restarted without persistence?): every lobby and seat is gone' });
        this.epoch = epoch;
        this.dead.clear();
        this.host.stateLost();
      }
      const silentFor = Date.now() - this.lastBeat;
      await this.beat();
      this.lastBeat = Date.now();
      // Others may have counted this node dead meanwhile and released its players.
      if (silentFor >= this.heartbeatMs * BEATS_TO_DIE) await this.checkHeld();
      await this.watchOthers();
      this.failing = false;
    } catch (error) {
      // Once per outage, not once a second.
      if (!this.failing) this.log('warn', 'cluster.heartbeat_failed', { error: String(error) });
      this.failing = true;
    } finally {
      this.beating = false;
    }
  }

  private async checkHeld(): Promise<void> {
    const ids = this.host.held();
    if (ids.length === 0) return;
    const owners = await Promise.all(ids.map((id) => this.cluster.redis.hget(this.cluster.key('player', id), 'node')));
    const lost = ids.filter((_, i) => owners[i] !== this.cluster.nodeId);
    if (lost.length > 0) this.host.released(lost);
  }

  private async watchOthers(): Promise<void> {
    const redis = this.cluster.redis;
    const others = (await redis.smembers(this.cluster.key('nodes'))).filter((node) => node !== this.cluster.nodeId);
    const alive = await Promise.all(others.map((node) => redis.exists(this.cluster.key('node', node, 'alive'))));
    const now = Date.now();
    for (const [i, node] of others.entries()) {
      if (alive[i]) {
        this.dead.delete(node);
        continue;
      }
      const since = this.dead.get(node);
      if (since === undefined) {
        this.dead.set(node, now);
        this.log('warn', 'cluster.node_dead', { node, releaseAfterMs: this.graceMs });
        // A relay peer has no seat to come back to: its lobby gets a new one now.
        await this.sweep(node, true);
      } else if (now - since >= this.graceMs) await this.sweep(node, false);
    }
  }

  /** Releases the players (or only the relay peers) of dead `node` that nobody resumed, each by exactly one survivor. */
  private async sweep(node: string, relaysOnly: boolean): Promise<void> {
    const redis = this.cluster.redis;
    const playersKey = this.cluster.key('node', node, 'players');
    for (const id of await redis.smembers(playersKey)) {
      const claimed = await this.cluster.claimOrphan(id, node, relaysOnly);
      if (!claimed) continue;
      this.log('info', 'cluster.release_orphan', { node, player: id, kind: claimed.kind });
      await this.host.release(claimed);
    }
    if (!relaysOnly && (await redis.scard(playersKey)) === 0) {
      await redis.srem(this.cluster.key('nodes'), node);
      this.dead.delete(node);
      this.log('info', 'cluster.node_forgotten', { node });
    }
  }
}
