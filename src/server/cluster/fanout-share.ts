// The fan-out budget of an address (fanout-budget.ts) across the nodes of a cluster. Each node tells the
// others what its addresses spent, on one Redis channel, and each spends that from the same address's
// budget: an address then has one budget for the whole cluster, not one per node, and a churning player
// reconnecting to another node finds its address's budget spent there too. Nothing is asked of Redis per
// request: a node publishes at once when it has been quiet for an interval, else once at the end of it
// (with everything spent meanwhile), so at most one publish per interval per node, and none while its
// players cause no fan-out. What another node spent counts here that much later (at most an interval,
// plus a publish's round trip).

/** What one address spent: [address, messages]. */
export type Spends = [string, number][];

/** How long spends wait to be published with others after a publish. */
export const FANOUT_SHARE_MS = 500;

export class FanoutShare {
  private readonly pending = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastPublish = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly publish: (spends: Spends) => void,
    private readonly intervalMs = FANOUT_SHARE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** This node's `address` spent `messages`: the other nodes hear of it. */
  spent(address: string, messages: number): void {
    this.pending.set(address, (this.pending.get(address) ?? 0) + messages);
    if (this.timer) return;
    const wait = this.lastPublish + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.pending.size) return;
    const spends: Spends = [...this.pending];
    this.pending.clear();
    this.lastPublish = this.now();
    this.publish(spends);
  }
}
