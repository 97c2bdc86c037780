// One player's frames in the order Redis numbered them (cluster-scripts.ts, `append`): the node holding
// the player gets its own frames back from the script's answer and other nodes' frames from its
// channel, on two connections, so they may arrive out of order; each is written when all before it
// were. A number that stays missing (a message lost while the subscriber reconnected) is fetched from
// the player's log after GAP_MS; if the log no longer has it, the session cannot continue faithfully.

/** How long a missing frame is waited for before it is read from the log. */
export const GAP_MS = 250;

export type Since = { seq: number; frames: string[] } | 'gap' | 'gone';

export class Sequencer {
  private readonly pending = new Map<number, string>();
  private gapTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** The number of the last frame written (frames before INIT are numbered too: the client counts them). */
    public delivered: number,
    private readonly write: (frame: string) => void,
    /** The logged frames after a number. */
    private readonly since: (after: number) => Promise<Since>,
    /** The missing frames are gone from the log (or the log is): nothing faithful can follow. */
    private readonly broken: (why: string) => void,
  ) {}

  place(seq: number, frame: string): void {
    if (seq <= this.delivered) return;
    if (seq !== this.delivered + 1) {
      this.pending.set(seq, frame);
      this.gapTimer ??= setTimeout(() => this.fill(), GAP_MS);
      return;
    }
    this.delivered = seq;
    this.write(frame);
    for (let next = this.pending.get(seq + 1); next !== undefined; next = this.pending.get(this.delivered + 1)) {
      this.pending.delete(this.delivered + 1);
      this.delivered += 1;
      this.write(next);
    }
    if (this.pending.size === 0) this.stopTimer();
  }

  /** Reads what is missing from the log (also after the node's subscription was down: nothing may be pending yet). */
  async fill(): Promise<void> {
    this.stopTimer();
    let found: Since;
    try {
      found = await this.since(this.delivered);
    } catch (error) {
      return this.broken(`frames could not be read: ${String(error)}`);
    }
    if (typeof found === 'string') return this.broken(found === 'gap' ? 'frames lost' : 'player gone');
    const first = found.seq - found.frames.length + 1;
    for (const [i, frame] of found.frames.entries()) this.place(first + i, frame);
  }

  stop(): void {
    this.stopTimer();
    this.pending.clear();
  }

  private stopTimer(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }
}
