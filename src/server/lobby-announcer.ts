// NEW_LOBBY, coalesced. A visible create (or a `show`) adds the lobby to its game's batch; a batch goes to
// this node's idle players at most once per interval: at once after a quiet interval, else when the
// interval since the last one ends. Each name is serialised once for every watcher, and nobody makes a
// list of idle players per create. A lobby that closes (or is hidden) before its batch leaves is not
// announced at all. With several nodes each node announces every lobby of the cluster to its own idle
// players (cluster.ts carries the news).
//
// What a batch costs is one socket write per idle player (~10 µs each, mostly the system call), whatever
// the number of lobbies in it. So a lobby's share is that cost divided by the lobbies sharing the batch,
// and the announcer holds a batch (past the interval) until enough lobbies share the measured cost of the
// last one that each pays at most `costPerLobbyMs`, or until its oldest lobby has waited `maxDelayMs`:
// the stated delay. A batch is written in slices of at most `sliceMs` per event-loop turn (sliced-loop.ts),
// so the players' own requests are answered meanwhile. Each watcher still gets at most `batchMax` names
// per interval: a held batch may carry that many for each interval it waited.
import { encodePacket } from '../protocol/index.js';
import { encodeFrames } from './outbox.js';
import { SlicedLoop } from './sliced-loop.js';

/** What happened to a lobby, as far as announcing it goes: `created` tells two lobbies of one name apart. */
export interface LobbyNews {
  game: string;
  name: string;
  created: number;
}

/** An idle player to tell: NEW_LOBBY frames written to its socket, not numbered for RESUME (player.ts `announce`). */
export interface Watcher {
  readonly game: string;
  readonly lobby: string | null;
  /** `frames`: a game's NEW_LOBBY packets as WebSocket frames, encoded once for every watcher of that game. */
  announce(frames: Buffer): void;
}

export interface AnnouncerOptions {
  /** At most one batch per watcher per this many milliseconds. */
  intervalMs: number;
  /** Names per batch and interval; more wait for the next batch, oldest first. */
  batchMax: number;
  /** Server time (ms) one announced lobby may cost: a batch waits until enough lobbies share it. 0: no waiting for that. */
  costPerLobbyMs: number;
  /** The longest a new lobby waits for its batch (at least intervalMs), whatever it costs; in a burst, per batch. */
  maxDelayMs: number;
  /** The longest the writing of a batch holds the event loop in one turn. */
  sliceMs: number;
}

export const DEFAULT_ANNOUNCER: AnnouncerOptions = { intervalMs: 1000, batchMax: 50, costPerLobbyMs: 1, maxDelayMs: 10_000, sliceMs: 1 };

/** The most one socket write plausibly costs (~10 µs measured on loopback, mostly the system call). */
const MAX_WRITE_MS = 0.05;

interface Pending {
  created: number;
  /** When it was added (the announcer's clock). */
  since: number;
}

export class LobbyAnnouncer {
  /** Per game, the lobbies waiting, by name (a Map keeps them in the order they came). */
  private readonly pending = new Map<string, Map<string, Pending>>();
  private timer: ReturnType<typeof setTimeout> | 'now' | undefined;
  /** When the timer fires (the announcer's clock). */
  private timerAt = Number.POSITIVE_INFINITY;
  /** The batch being written, slice by slice. */
  private writing: SlicedLoop<Watcher> | undefined;
  private lastFlush = Number.NEGATIVE_INFINITY;
  /** What the last batch cost (ms in its slices): what the next is expected to cost. */
  lastCostMs = 0;
  /** Batches sent so far (tests, metrics). */
  batches = 0;

  constructor(
    private readonly options: AnnouncerOptions,
    /** This node's players (idle or not; the announcer picks). */
    private readonly watchers: () => Iterable<Watcher>,
    private readonly now: () => number = Date.now,
  ) {}

  add({ game, name, created }: LobbyNews): void {
    const names = this.pending.get(game) ?? new Map<string, Pending>();
    names.delete(name); // a name back again counts from now, in order
    this.pending.set(game, names.set(name, { created, since: this.now() }));
    this.schedule();
  }

  /**
   * The lobby is gone or hidden: not announced if still waiting. (With several nodes, news published by
   * one node reaches every node in order; a lobby closed through another node just after its creation
   * may still be announced, as one that closes just after its batch left would be.)
   */
  retract({ game, name, created }: LobbyNews): void {
    const names = this.pending.get(game);
    if (names?.get(name)?.created !== created) return;
    names.delete(name);
    if (names.size === 0) this.pending.delete(game);
  }

  stop(): void {
    this.clearTimer();
    this.writing?.stop();
    this.writing = undefined;
    this.pending.clear();
  }

  /**
   * Names of one game a batch leaving at `at` may carry: batchMax for each interval they waited since
   * the last batch (one at least). A watcher so gets at most batchMax names per interval, held batches too.
   */
  private perGame(names: Map<string, Pending>, at: number): number {
    const oldest = names.values().next().value?.since ?? at;
    const intervals = Math.floor((at - Math.max(this.lastFlush, oldest)) / this.options.intervalMs);
    return Math.min(names.size, this.options.batchMax * Math.max(intervals, 1));
  }

  /** When the next batch should leave, given what waits; Infinity: nothing waits. */
  private due(): number {
    if (this.pending.size === 0) return Number.POSITIVE_INFINITY;
    const { intervalMs, costPerLobbyMs, maxDelayMs } = this.options;
    const at = Math.max(this.now(), this.lastFlush + intervalMs);
    let oldest = Number.POSITIVE_INFINITY;
    let carried = 0;
    for (const names of this.pending.values()) {
      oldest = Math.min(oldest, names.values().next().value?.since ?? oldest);
      carried += this.perGame(names, at);
    }
    const latest = Math.max(oldest + maxDelayMs, this.lastFlush + intervalMs);
    // Enough lobbies share the expected cost (or no cost rule), or the oldest may wait no longer.
    if (costPerLobbyMs === 0 || carried * costPerLobbyMs >= this.lastCostMs || at >= latest) return at;
    // Else by the stated delay; looked at again at the next interval (more names may go then), or on a create.
    return Math.min(latest, at + intervalMs);
  }

  private schedule(): void {
    if (this.writing) return; // after the batch being written
    const at = this.due();
    if (at >= this.timerAt) return;
    this.clearTimer();
    if (at === Number.POSITIVE_INFINITY) return;
    this.timerAt = at;
    // After a quiet interval, at the end of this turn: the announcement leaves with whatever else the
    // create produced, before its author's next request is handled (tests rely on that order too).
    const wait = at - this.now();
    if (wait <= 0) {
      this.timer = 'now';
      process.nextTick(this.flush);
    } else this.timer = setTimeout(this.flush, wait);
  }

  private clearTimer(): void {
    if (this.timer !== 'now') clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private readonly flush = (): void => {
    if (this.timer === undefined) return; // stopped or rescheduled meanwhile
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.due() > this.now()) {
      this.schedule(); // not yet worth it: looked at again later
      return;
    }
    const from = performance.now();
    const at = this.now();
    const batches = new Map<string, Buffer>();
    for (const [game, names] of this.pending) {
      const texts: string[] = [];
      const carried = this.perGame(names, at);
      for (const name of names.keys()) {
        if (texts.length === carried) break;
        names.delete(name);
        texts.push(encodePacket({ opcode: 'NEW_LOBBY', payload: name }));
      }
      if (names.size === 0) this.pending.delete(game);
      batches.set(game, encodeFrames(texts));
    }
    this.lastFlush = at;
    const encodingMs = performance.now() - from;
    let told = 0;
    const tell = (watcher: Watcher): void => {
      if (watcher.lobby !== null) return;
      const batch = batches.get(watcher.game);
      if (!batch) return;
      watcher.announce(batch);
      told += 1;
    };
    this.writing = new SlicedLoop(this.watchers()[Symbol.iterator](), tell, this.options.sliceMs, (loop) => {
      this.writing = undefined;
      // Measured, but no more than a plausible cost per write: a loaded machine that pauses the process
      // mid-slice must not make a batch to a few players look expensive (and hold the next one).
      this.lastCostMs = Math.min(encodingMs + loop.spentMs, told * MAX_WRITE_MS);
      this.batches += 1;
      this.schedule();
    });
    this.writing.start();
  };
}
