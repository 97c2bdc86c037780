// One player's frames in the order Redis numbered them (cluster-scripts.ts, `append`): the node holding
// the player gets its own frames back from the script's answer and other nodes' frames from its
// channel, on two connections, so they may arrive out of order; each is written when all before it
// were. A number that stays missing (a message lost while the subscriber reconnected) is fetched from
// the player's log after GAP_MS; if the log no longer has it, the session cannot continue faithfully.
//
// One of these exists per player a node holds, most of them idle: it keeps no closures, and its map of
// early frames and its gap timer exist only while a frame waits for its predecessors.

/** How long a missing frame is waited for before it is read from the log. */
export const GAP_MS = 250;

export type Since = { seq: number; frames: string[] } | 'gap' | 'gone';

/** Where a sequencer's frames go: the player's socket, in order. */
export interface SequenceSink {
  writeSequenced(frame: string): void;
  /** The missing frames are gone from the log (or the log is): nothing faithful can follow. */
  sequenceBroken(why: string): void;
}

/** What a sequencer needs of the cluster: its frames submitted to Redis, and the log read back. */
export interface SequenceLog {
  submit(sequencer: Sequencer, frame: string): void;
  /** The logged frames of player `id` after a number. */
  since(id: string, after: number): Promise<Since>;
}

export class Sequencer {
  /** Frames that arrived before their predecessors, by number (only while some wait). */
  private pending: Map<number, string> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** Cleared by stop(): answers still in flight for this sequencer are dropped. */
  active = true;

  constructor(
    private readonly log: SequenceLog,
    readonly id: string,
    readonly sink: SequenceSink,
    /** The number of the last frame written (frames before INIT are numbered too: the client counts them). */
    public delivered: number,
  ) {}

  /** A frame this node sends the player: numbered by Redis, then written in its place. (The player's outlet.) */
  submit(frame: string): void {
    this.log.submit(this, frame);
  }

  place(seq: number, frame: string): void {
    if (seq <= this.delivered) return;
    if (seq !== this.delivered + 1) {
      this.pending ??= new Map();
      this.pending.set(seq, frame);
      this.gapTimer ??= setTimeout(() => this.fill(), GAP_MS);
      return;
    }
    this.delivered = seq;
    this.sink.writeSequenced(frame);
    const pending = this.pending;
    if (!pending) return;
    for (let next = pending.get(seq + 1); next !== undefined; next = pending.get(this.delivered + 1)) {
      pending.delete(this.delivered + 1);
      this.delivered += 1;
      this.sink.writeSequenced(next);
    }
    if (pending.size === 0) this.stop();
  }

  /** Reads what is missing from the log (also after the node's subscription was down: nothing may be pending yet). */
  async fill(): Promise<void> {
    this.stopTimer();
    let found: Since;
    try {
      found = await this.log.since(this.id, this.delivered);
    } catch (error) {
      return this.sink.sequenceBroken(`frames could not be read: ${String(error)}`);
    }
    if (typeof found === 'string') return this.sink.sequenceBroken(found === 'gap' ? 'frames lost' : 'player gone');
    const first = found.seq - found.frames.length + 1;
    for (const [i, frame] of found.frames.entries()) this.place(first + i, frame);
  }

  /** Drops what waits (the frames will be read from the log if needed). */
  stop(): void {
    this.stopTimer();
    this.pending = undefined;
  }

  private stopTimer(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }
}
