// NEW_LOBBY, coalesced. A visible create (or a `show`) adds the lobby to its game's batch; a batch goes to
// this node's idle players at most once per interval: at once after a quiet interval, else when the
// interval since the last one ends. Each name is serialised once for every watcher, and nobody makes a
// list of idle players per create, so a create costs the same whatever the number of players; a flood
// of creates costs each watcher at most `batchMax` names per interval. A lobby that closes (or is
// hidden) before its batch leaves is not announced at all. With several nodes each node announces
// every lobby of the cluster to its own idle players (cluster.ts carries the news).
import { encodePacket } from '../protocol/index.js';
import { encodeFrames } from './outbox.js';

/** What happened to a lobby, as far as announcing it goes: `created` tells two lobbies of one name apart. */
export interface LobbyNews {
  game: string;
  name: string;
  created: number;
}

/** Frames as texts and as the bytes of WebSocket frames, made once for every socket they go to. */
export interface EncodedFrames {
  texts: readonly string[];
  encoded: Buffer;
}

/** An idle player to tell: NEW_LOBBY frames written to its socket, not numbered for RESUME (player.ts `announce`). */
export interface Watcher {
  readonly game: string;
  readonly lobby: string | null;
  announce(batch: EncodedFrames): void;
}

export interface AnnouncerOptions {
  /** At most one batch per watcher per this many milliseconds; also the longest a new lobby waits (in a burst, per batch). */
  intervalMs: number;
  /** Names per batch; more wait for the next batch, oldest first. */
  batchMax: number;
}

export const DEFAULT_ANNOUNCER: AnnouncerOptions = { intervalMs: 1000, batchMax: 50 };

export class LobbyAnnouncer {
  /** Per game, the lobbies waiting, by name (a Map keeps them in the order they came). */
  private readonly pending = new Map<string, Map<string, number>>();
  private timer: ReturnType<typeof setTimeout> | 'now' | undefined;
  private lastFlush = Number.NEGATIVE_INFINITY;
  /** Batches sent so far (tests, metrics). */
  batches = 0;

  constructor(
    private readonly options: AnnouncerOptions,
    /** This node's players (idle or not; the announcer picks). */
    private readonly watchers: () => Iterable<Watcher>,
    private readonly now: () => number = Date.now,
  ) {}

  add({ game, name, created }: LobbyNews): void {
    const names = this.pending.get(game) ?? new Map<string, number>();
    this.pending.set(game, names.set(name, created));
    this.schedule();
  }

  /**
   * The lobby is gone or hidden: not announced if still waiting. (With several nodes, news published by
   * one node reaches every node in order; a lobby closed through another node just after its creation
   * may still be announced, as one that closes just after its batch left would be.)
   */
  retract({ game, name, created }: LobbyNews): void {
    const names = this.pending.get(game);
    if (names?.get(name) !== created) return;
    names.delete(name);
    if (names.size === 0) this.pending.delete(game);
  }

  stop(): void {
    if (this.timer !== 'now') clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.pending.size === 0) return;
    const wait = this.lastFlush + this.options.intervalMs - this.now();
    // After a quiet interval, at the end of this turn: the announcement leaves with whatever else the
    // create produced, before its author's next request is handled (tests rely on that order too).
    if (wait <= 0) {
      this.timer = 'now';
      process.nextTick(this.flush);
    } else this.timer = setTimeout(this.flush, wait);
  }

  private readonly flush = (): void => {
    if (this.timer === undefined) return; // stopped meanwhile
    this.timer = undefined;
    this.lastFlush = this.now();
    const batches = new Map<string, EncodedFrames>();
    for (const [game, names] of this.pending) {
      const texts: string[] = [];
      for (const name of names.keys()) {
        if (texts.length === this.options.batchMax) break;
        names.delete(name);
        texts.push(encodePacket({ opcode: 'NEW_LOBBY', payload: name }));
      }
      if (names.size === 0) this.pending.delete(game);
      batches.set(game, { texts, encoded: encodeFrames(texts) });
    }
    for (const watcher of this.watchers()) {
      if (watcher.lobby !== null) continue;
      const batch = batches.get(watcher.game);
      if (batch) watcher.announce(batch);
    }
    this.batches += 1;
    this.schedule();
  };
}
