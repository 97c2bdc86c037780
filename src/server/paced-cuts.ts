// Cutting many connections at once, a few per event-loop turn. A cut costs ~0.3 ms (the VIOLATION and
// close frames written, the socket let go of, the player released); 1,000 attackers crossing a limit
// in the same turn (1,000 frames over the size limit, or the incoming budget shedding 552 holders) made
// one turn of ~300 ms, and every other player waited behind it. A connection waiting for its cut is
// read no further: what its client still sends stays in the kernel's socket buffers, not in our memory.
import type { WebSocket } from 'ws';
import { stopReading } from './drop.js';
import { dropHeld } from './incoming.js';

/** How many connections are cut per event-loop turn by default. */
export const DEFAULT_CUTS_PER_TURN = 8;

interface Pending {
  ws: WebSocket;
  cut: () => void;
}

export class PacedCuts {
  private queue: Pending[] = [];
  /** Where the next turn starts in `queue` (shifting a long array on every cut would be quadratic). */
  private next = 0;
  private timer: ReturnType<typeof setImmediate> | undefined;
  /** Entries at the end of `queue` scheduled since the last turn. */
  private fresh = 0;

  constructor(readonly perTurn: number) {
    if (!(perTurn >= 1)) throw new Error(`cuts per turn must be at least 1, not ${perTurn}`);
  }

  /**
   * Stops reading `ws` now, drops what it holds of unfinished messages, and runs `cut` in a later turn,
   * after the cuts scheduled before it; skipped if the connection closed meanwhile (a shutdown).
   */
  schedule(ws: WebSocket, cut: () => void): void {
    stopReading(ws);
    // Nothing more of it is parsed: what it sent of an unfinished message is garbage now, not at the cut.
    dropHeld(ws);
    this.queue.push({ ws, cut });
    this.fresh += 1;
    this.timer ??= setImmediate(() => this.turn());
  }

  stop(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.next = 0;
    this.fresh = 0;
  }

  private turn(): void {
    this.timer = undefined;
    // ws resumes a socket it found a protocol error on (receiverOnError, in a tick after its close):
    // stopped again here, before the next poll phase could read it.
    for (let at = this.queue.length - this.fresh; at < this.queue.length; at += 1) stopReading(this.queue[at]!.ws);
    this.fresh = 0;
    const end = Math.min(this.queue.length, this.next + this.perTurn);
    while (this.next < end) {
      const { ws, cut } = this.queue[this.next]!;
      this.next += 1;
      if (ws.readyState === ws.OPEN) cut();
    }
    if (this.next < this.queue.length) this.timer = setImmediate(() => this.turn());
    else {
      this.queue = [];
      this.next = 0;
    }
  }
}
