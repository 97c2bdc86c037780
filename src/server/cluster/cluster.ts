// Several server nodes sharing one Redis (`--redis URL`): how a frame for a player reaches the node
// holding its connection, and how each player's frames are numbered once for every node.
//
// Every frame a node sends to a player goes through `append` (cluster-scripts.ts; the frames of one turn
// of the event loop in one script run): Redis numbers it in the player's sequence, keeps it in the
// player's log, and publishes it on the channel of the node that holds the player (unless that is the
// sender, which writes it from the script's answer). The holding
// node writes frames to the socket in that order (sequencer.ts). So any node can replay exactly what a
// client missed (a resume after its node died), and a frame published while its node was down is not
// lost: it is in the log. Why pub/sub and not streams: see docs/architecture.md, "Several nodes".
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { LobbyNews } from '../lobby-announcer.js';
import { CLUSTER_SCRIPTS, LOG_FRAMES, type ClusterScript } from './cluster-scripts.js';
import { Sequencer, type SequenceLog, type SequenceSink, type Since } from './sequencer.js';
import type { Spends } from './fanout-share.js';

/** What the node does with what arrives on its channel (server.ts implements it). */
export interface ClusterHost {
  /** A frame for a relay peer running here (a member's signal, or a lobby event it must know). */
  toRelay(relayId: string, frame: string): void;
  /** A player resumed on another node: forget it here, without releasing its seat. */
  evict(id: string): void;
  /** Another node took a player held here out of its lobby (a kick, the lobby closed): its lobby is none now. */
  leftLobby(id: string): void;
  /** A lobby of the cluster became visible (announce) or went before its announcement left (retract). */
  lobbyNews(kind: LobbyNewsKind, news: LobbyNews): void;
  /** What addresses spent of their fan-out budget on another node (fanout-share.ts). */
  spentElsewhere(spends: Spends): void;
}

export type LobbyNewsKind = 'announce' | 'retract';

/** What another node sends a player it took out of its lobby (kick, lobby closed). */
const OUT_OF_LOBBY = '{"opcode":"TRANSITION","payload":""';

export interface ClusterOptions {
  /** Commands (scripts, heartbeat); its offline queue should be off, so that nothing waits on a dead connection. */
  redis: Redis;
  /** A second connection, in subscriber mode. */
  subscriber: Redis;
  nodeId: string;
  /** Namespaces every key and channel (default `cl5:`; tests give each run its own). */
  prefix?: string;
  log: Logger;
}

/** Where a signal may go: to a member of this lobby (or its relay peer) only. */
export interface MemberCheck {
  game: string;
  lobby: string;
  /** The sender's address, handed to a relay peer's node with the frame (never logged for a player). */
  address?: string;
}

/**
 * The sender's address that the append script added to a frame for a relay peer (undefined if none:
 * a lobby event, or a frame from a node that does not send it). A client cannot set it: a signal with
 * any field besides opcode, recipient and payload is rebuilt, and the script's field comes last (it wins).
 */
export function senderAddress(frame: string): string | undefined {
  const { address } = JSON.parse(frame) as { address?: unknown };
  return typeof address === 'string' ? address : undefined;
}

/** A dead node's player or relay peer, claimed by this node. */
export interface Orphan {
  id: string;
  game: string;
  kind: 'player' | 'relay';
  /** A relay peer's lobby. */
  lobby: string;
}

/** Frames per `append` script run. */
const MAX_BATCH = 256;

/**
 * One frame waiting for this turn's `append` run. No promise or closure per frame on the hot paths:
 * a player's own frame names its sequencer, `send` names neither; only `append` callers get a promise.
 */
interface PendingAppend {
  id: string;
  frame: string;
  /** The lobby the player must be in ('' = no check), and the sender's game. */
  lobby: string;
  game: string;
  /** The sender's address as a JSON string, for a relay peer ('' = none). */
  address: string;
  sequencer: Sequencer | null;
  settle: { resolve: (answer: Appended) => void; reject: (error: unknown) => void } | null;
}

/**
 * What `append` did with a frame: a number is its place in the sequence of a player this node holds
 * (this node writes it); 'elsewhere': numbered for a player another node holds (published there) or no
 * node holds now; 'relay': handed to a relay peer's node; 'gone': no such player; 'not-member': the check failed.
 */
export type Appended = number | 'elsewhere' | 'relay' | 'gone' | 'not-member';

/** The script answers one integer per frame (cluster-scripts.ts, `append`). */
const decodeAppended = (answer: number): Appended =>
  answer > 0 ? answer : answer === 0 ? 'elsewhere' : answer === -1 ? 'gone' : answer === -2 ? 'not-member' : 'relay';

/** A sequenced player's sink: its frames in order, and what to do when the order cannot be kept. */
export interface SequencedPlayer extends SequenceSink {
  readonly game: string;
  /** Frames sent so far outside the cluster (before INIT: not logged, but the client counted them). */
  readonly framesSent: number;
  /** Frames for it go through the cluster from now on (its sequencer). */
  outlet: { submit(frame: string): void } | null;
}

export class Cluster implements SequenceLog {
  readonly nodeId: string;
  readonly prefix: string;
  readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly log: Logger;
  private readonly sequencers = new Map<string, Sequencer>();
  private host: ClusterHost | null = null;

  constructor(options: ClusterOptions) {
    this.redis = options.redis;
    this.subscriber = options.subscriber;
    this.nodeId = options.nodeId;
    this.prefix = options.prefix ?? 'cl5:';
    this.log = options.log;
    for (const [name, { keys, lua }] of Object.entries(CLUSTER_SCRIPTS)) this.redis.defineCommand(`cl5c_${name}`, { numberOfKeys: keys, lua });
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  get channel(): string {
    return this.key('node', this.nodeId);
  }

  /** Where lobby news goes to every node (one publish per visible create, not one frame per idle player). */
  private get newsChannel(): string {
    return this.key('lobbies');
  }

  /** Where each node says what its addresses spent of their fan-out budgets (fanout-share.ts). */
  private get spendsChannel(): string {
    return this.key('fanout');
  }

  /** Subscribes to this node's channel; messages go to `host`. */
  async start(host: ClusterHost): Promise<void> {
    this.host = host;
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.newsChannel) this.newsReceived(message);
      else if (channel === this.spendsChannel) this.spendsReceived(message);
      else this.received(message);
    });
    // Messages published while the subscription was down are in the logs: catch every player up.
    this.subscriber.on('ready', () => {
      for (const sequencer of this.sequencers.values()) void sequencer.fill();
    });
    await this.subscriber.subscribe(this.channel, this.newsChannel, this.spendsChannel);
  }

  /** Tells every node, this one included (it hears its own news back), about a lobby. Failures are logged. */
  lobbyNews(kind: LobbyNewsKind, news: LobbyNews): void {
    this.redis
      .publish(this.newsChannel, JSON.stringify([kind, news.game, news.name, news.created]))
      .catch((error: unknown) => this.log('warn', 'cluster.news_failed', { lobby: news.name, error: String(error) }));
  }

  private newsReceived(message: string): void {
    try {
      const [kind, game, name, created] = JSON.parse(message) as [LobbyNewsKind, string, string, number];
      this.host?.lobbyNews(kind, { game, name, created });
    } catch (error) {
      this.log('warn', 'cluster.bad_news', { error: String(error) });
    }
  }

  /** Tells the other nodes what this node's addresses spent of their fan-out budgets. Failures are logged. */
  shareSpends(spends: Spends): void {
    this.redis
      .publish(this.spendsChannel, JSON.stringify([this.nodeId, spends]))
      .catch((error: unknown) => this.log('warn', 'cluster.spends_failed', { addresses: spends.length, error: String(error) }));
  }

  private spendsReceived(message: string): void {
    try {
      const [node, spends] = JSON.parse(message) as [string, Spends];
      // Every node hears its own publish back: what it spent is charged already.
      if (node !== this.nodeId) this.host?.spentElsewhere(spends);
    } catch (error) {
      this.log('warn', 'cluster.bad_spends', { error: String(error) });
    }
  }

  private run<T>(name: ClusterScript, ...args: (string | number)[]): Promise<T> {
    this.flushAppends();
    return this.call(name, ...args);
  }

  /** `args` may hold one array of them (ioredis flattens it): the append batch, without spreading it. */
  private call<T>(name: ClusterScript, ...args: (string | number | (string | number)[])[]): Promise<T> {
    const command = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<T>>)[`cl5c_${name}`]!;
    return command.call(this.redis, ...args);
  }

  private playerKeys(id: string): [string, string] {
    return [this.key('player', id), this.key('player', id, 'log')];
  }

  /**
   * A player initialized (or resumed) here: this node holds it, its frames go through Redis from now
   * on. `delivered`: the number of the last frame its client has been written (a resume's replay).
   */
  adopt(player: SequencedPlayer, id: string, delivered = player.framesSent): Sequencer {
    this.forget(id);
    const sequencer = new Sequencer(this, id, player, delivered);
    this.sequencers.set(id, sequencer);
    player.outlet = sequencer;
    return sequencer;
  }

  /** Registers a new player as held by this node (before its first logged frame: the same connection keeps the order). */
  register(player: SequencedPlayer, id: string): Promise<void> {
    const [playerKey] = this.playerKeys(id);
    const done = this.run<number>(
      'register',
      playerKey,
      this.key('node', this.nodeId, 'players'),
      id,
      this.nodeId,
      player.game,
      'player',
      player.framesSent,
      '',
    );
    this.adopt(player, id);
    return done.then(() => undefined);
  }

  /** A relay peer running here is reachable by its instance id from every node. */
  async registerRelay(id: string, game: string, lobby: string): Promise<void> {
    await this.run('register', this.key('player', id), this.key('node', this.nodeId, 'players'), id, this.nodeId, game, 'relay', 0, lobby);
  }

  /** The player (or relay) is gone for good: its record and log are deleted (`player`: its frames go to its socket again). */
  async unregister(id: string, player?: SequencedPlayer): Promise<void> {
    this.forget(id);
    if (player) player.outlet = null;
    const [playerKey, logKey] = this.playerKeys(id);
    await this.run('unregister', playerKey, logKey, this.key('node', this.nodeId, 'players'), id);
  }

  /** Stops sequencing for a player this node no longer holds (resumed elsewhere, released). */
  forget(id: string): void {
    const sequencer = this.sequencers.get(id);
    if (!sequencer) return;
    sequencer.active = false;
    sequencer.stop();
    this.sequencers.delete(id);
  }

  /** A frame for a player this node holds (its sequencer's submit): numbered, then written in its place. */
  submit(sequencer: Sequencer, frame: string): void {
    this.enqueue({ id: sequencer.id, frame, lobby: '', game: '', address: '', sequencer, settle: null });
  }

  /**
   * Appends a frame to a player's sequence and log; published to the node holding it. The frames of one
   * turn of the event loop go in one script run (flushAppends), in the order they were appended.
   */
  append(id: string, frame: string, check?: MemberCheck): Promise<Appended> {
    return new Promise((resolve, reject) => {
      const address = check?.address === undefined ? '' : JSON.stringify(check.address);
      this.enqueue({ id, frame, lobby: check?.lobby ?? '', game: check?.game ?? '', address, sequencer: null, settle: { resolve, reject } });
    });
  }

  /** Sends a frame to a player or relay peer held by another node (or this one). Failures are logged, not thrown. */
  send(id: string, frame: string): void {
    this.enqueue({ id, frame, lobby: '', game: '', address: '', sequencer: null, settle: null });
  }

  private appends: PendingAppend[] = [];

  private enqueue(pending: PendingAppend): void {
    if (this.appends.push(pending) === 1) process.nextTick(this.flushAppends);
  }

  /** Sends the appends waiting for this turn; every other script call sends them first, so Redis sees calls in program order. */
  private readonly flushAppends = (): void => {
    // In runs of at most MAX_BATCH frames, so that one script never keeps Redis busy for long.
    while (this.appends.length > 0) {
      const batch = this.appends.length > MAX_BATCH ? this.appends.splice(0, MAX_BATCH) : this.appends;
      if (batch === this.appends) this.appends = [];
      const args: (string | number)[] = [this.prefix, this.nodeId, LOG_FRAMES];
      for (const pending of batch) args.push(pending.id, pending.frame, pending.lobby, pending.game, pending.address);
      this.call<number[]>('append', args).then(
        (answers) => {
          for (let i = 0; i < batch.length; i += 1) this.appended(batch[i]!, decodeAppended(answers[i]!));
        },
        (error: unknown) => {
          for (const pending of batch) this.appendFailed(pending, error);
        },
      );
    }
  };

  private appended(pending: PendingAppend, answer: Appended): void {
    const { sequencer, settle } = pending;
    if (sequencer) {
      if (!sequencer.active) return;
      if (typeof answer === 'number') sequencer.place(answer, pending.frame);
      else if (answer === 'gone') sequencer.sink.sequenceBroken('its record is gone from the shared store');
      return;
    }
    // Held here after all (a resume raced the caller's look-up): written in its place.
    if (typeof answer === 'number') this.sequencers.get(pending.id)?.place(answer, pending.frame);
    settle?.resolve(answer);
  }

  private appendFailed(pending: PendingAppend, error: unknown): void {
    const { sequencer, settle } = pending;
    if (settle) settle.reject(error);
    else if (sequencer) {
      if (sequencer.active) sequencer.sink.sequenceBroken(`shared store unreachable (${error instanceof Error ? error.message : String(error)})`);
    } else this.log('warn', 'cluster.send_failed', { to: pending.id, error: String(error) });
  }

  /** The logged frames of a player after number `after`. */
  async since(id: string, after: number): Promise<Since> {
    return decodeSince(await this.run('since', ...this.playerKeys(id), after));
  }

  /**
   * A resume here: this node holds the player from now on (also on 'gap': it then releases it). The
   * frames after `received` that its client missed, or why not.
   */
  async takeOver(id: string, received: number): Promise<Since> {
    const [playerKey, logKey] = this.playerKeys(id);
    return decodeSince(await this.run('takeOver', playerKey, logKey, this.key('node', this.nodeId, 'players'), this.prefix, id, this.nodeId, received));
  }

  /**
   * After a resume's replay (frames up to `seq` written): frames numbered later come through `player`'s
   * sequence; any that arrived while the replay was being read are fetched from the log.
   */
  resumed(player: SequencedPlayer, id: string, seq: number): void {
    void this.adopt(player, id, seq).fill();
  }

  /** A dead node's player (or relay peer), claimed for release by this node (exactly one survivor wins); null if not. */
  async claimOrphan(id: string, node: string, relaysOnly: boolean): Promise<Orphan | null> {
    const claimed = await this.run<[string, string, string] | null>(
      'claimOrphan',
      this.key('player', id),
      this.key('node', node, 'players'),
      this.key('node', node, 'alive'),
      id,
      node,
      relaysOnly ? '1' : '0',
    );
    return claimed && { id, game: claimed[0], kind: claimed[1] === 'relay' ? 'relay' : 'player', lobby: claimed[2] };
  }

  private received(message: string): void {
    const kind = message[0];
    const idEnd = message.indexOf(' ', 2);
    if (kind === 'e') return void this.host?.evict(message.slice(2));
    if (idEnd < 0) return;
    const id = message.slice(2, idEnd);
    if (kind === 'r') return void this.host?.toRelay(id, message.slice(idEnd + 1));
    if (kind !== 'f') return;
    const seqEnd = message.indexOf(' ', idEnd + 1);
    const frame = message.slice(seqEnd + 1);
    if (frame.startsWith(OUT_OF_LOBBY)) this.host?.leftLobby(id);
    this.sequencers.get(id)?.place(Number(message.slice(idEnd + 1, seqEnd)), frame);
  }

  /** Stops listening (the caller quits the connections). */
  async stop(): Promise<void> {
    for (const id of [...this.sequencers.keys()]) this.forget(id);
    await this.subscriber.unsubscribe(this.channel, this.newsChannel, this.spendsChannel).catch(() => {});
  }
}

/** A `since` / `takeOver` answer: {seq, frames} or why not. */
function decodeSince(answer: unknown): Since {
  if (answer === 'gap' || answer === 'gone') return answer;
  const [seq, frames] = answer as [number, string[]];
  return { seq: Number(seq), frames };
}
