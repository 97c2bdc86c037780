// Falling back to the server's relay for one pair of players (a hybrid lobby): a member I should
// link with directly that has no open link for `timeoutMs` (its first link, or a heal), or whose
// link gave up, is reached through the lobby's relay peer instead. I ask the server (USE_RELAY); it
// answers both of us with RELAY_PAIR, and the mesh routes that pair through the relay from then on.
// A server without a relay says so once: then nobody is asked for again.
import { Warning } from '../../protocol/index.js';
import { CloudLinkError } from '../errors.js';

export class RelayFallback {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private unavailable = false;

  constructor(
    /** 0 turns the fallback off. */
    private readonly timeoutMs: number,
    /** Asks the server to relay me and `peer`; rejects when it will not. */
    private readonly ask: (peer: string) => Promise<void>,
  ) {}

  private get off(): boolean {
    return this.timeoutMs <= 0 || this.unavailable;
  }

  /** `peer` has no open direct link: ask for the relay if that lasts `timeoutMs` (a clock already running goes on). */
  watch(peer: string): void {
    if (this.off || this.timers.has(peer)) return;
    this.timers.set(
      peer,
      setTimeout(() => {
        this.timers.delete(peer);
        void this.request(peer);
      }, this.timeoutMs),
    );
  }

  /** `peer` is reached (directly or through the relay), or gone: no need to ask. */
  settled(peer: string): void {
    clearTimeout(this.timers.get(peer));
    this.timers.delete(peer);
  }

  /** Asks now. Resolves true once the server relays the pair (RELAY_PAIR has been handled), false if it does not. */
  async request(peer: string): Promise<boolean> {
    this.settled(peer);
    if (this.off) return false;
    try {
      await this.ask(peer);
      return true;
    } catch (error) {
      if (error instanceof CloudLinkError && error.message === Warning.relayUnavailable) this.unavailable = true;
      return false;
    }
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
