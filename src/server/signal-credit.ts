// Signals a member owes a player who just joined its lobby. On NEW_PEER / PEER_JOIN every member of a
// mesh lobby opens a link to the newcomer: an offer and its ICE candidates, through the server. Those
// are caused by the joiner, not the member, so they do not count against the member's own limits (the
// per-connection rate limit, its address's budget): a churn of joiners cannot push an honest member
// over its limit. Bounded: `signals` per joiner, within `windowMs` of hearing of it, for the newest
// MAX_JOINERS joiners; the joiner pays for them from its fan-out budget (fanout-budget.ts).

export interface SignalCreditOptions {
  /** Signals a member may send each newcomer outside its limits (0 = none). */
  signals: number;
  windowMs: number;
}

export const DEFAULT_SIGNAL_CREDIT: SignalCreditOptions = { signals: 32, windowMs: 30_000 };

/** Newcomers one member holds credit for at once; older ones are dropped first. */
const MAX_JOINERS = 64;

const SIGNALS = new Set(['MAKE_OFFER', 'MAKE_ANSWER', 'ICE']);

export class SignalCredit {
  /** Per newcomer: signals left and until when (a Map keeps them oldest first). */
  private readonly byJoiner = new Map<string, { left: number; until: number }>();

  constructor(
    private readonly options: SignalCreditOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** I was told `joiner` joined my lobby. */
  grant(joiner: string): void {
    if (this.options.signals <= 0) return;
    this.byJoiner.delete(joiner);
    this.byJoiner.set(joiner, { left: this.options.signals, until: this.now() + this.options.windowMs });
    if (this.byJoiner.size > MAX_JOINERS) this.byJoiner.delete(this.byJoiner.keys().next().value!);
  }

  /** Whether I hold any credit (cheap: the edge reads a packet's recipient only then). */
  get held(): boolean {
    return this.byJoiner.size > 0;
  }

  /** If a packet of `opcode` to `recipient` is a signal to a newcomer I hold credit for, uses one and says so. */
  use(opcode: unknown, recipient: unknown): boolean {
    const now = this.now();
    for (const [joiner, credit] of this.byJoiner) if (credit.until < now) this.byJoiner.delete(joiner);
    if (this.byJoiner.size === 0 || typeof opcode !== 'string' || !SIGNALS.has(opcode) || typeof recipient !== 'string') return false;
    const credit = this.byJoiner.get(recipient);
    if (!credit) return false;
    credit.left -= 1;
    if (credit.left <= 0) this.byJoiner.delete(recipient);
    return true;
  }
}
