// Requests to the server paced to stay inside its per-connection rate limit (RATE_PER_SECOND, bursts
// of RATE_BURST): a project that asks in a forever loop ("open lobbies" every frame) gets its answers
// at that rate, instead of refusals that, repeated, get it thrown out (a VIOLATION). A refusal for rate
// all the same — an address's budget is shared by everyone behind one router, or the server runs with a
// lower --rate-limit — holds the next request about a second. Everything the session sends is counted;
// only requests wait, in the order they were made.
import { RATE_BURST, RATE_PER_SECOND } from '../protocol/index.js';

/** A little under the server's limits: its clock and ours need not agree on when a token is back. */
const PER_MS = (0.9 * RATE_PER_SECOND) / 1000;
const BURST = 0.75 * RATE_BURST;

export class RequestPacer {
  private tokens = BURST;
  private at = Date.now();
  /** The last request waiting for its turn (null when none waits). */
  private last: Promise<void> | null = null;

  /** Counts a packet that does not wait (a signal). */
  spend(): void {
    this.refill();
    this.tokens -= 1;
  }

  /** Null when a request may go now (it is counted); else a promise of its turn. */
  turn(): Promise<void> | null {
    this.refill();
    if (!this.last && this.tokens >= 1) {
      this.tokens -= 1;
      return null;
    }
    const turn = (this.last ?? Promise.resolve()).then(() => this.nextToken());
    this.last = turn;
    void turn.then(() => {
      if (this.last === turn) this.last = null;
    });
    return turn;
  }

  /** The server refused a packet for rate: the next request waits about a second. */
  refused(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0) - 1000 * PER_MS;
  }

  private async nextToken(): Promise<void> {
    this.refill();
    while (this.tokens < 1) {
      await new Promise((resolve) => setTimeout(resolve, Math.ceil((1 - this.tokens) / PER_MS)));
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(BURST, this.tokens + (now - this.at) * PER_MS);
    this.at = now;
  }
}
