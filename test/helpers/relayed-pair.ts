// Two players of a hybrid lobby whose pair goes through its relay peer, talking all along (20 numbered
// messages a second each way): for the tests that take the relay away under them (its process, its node)
// and check the pair moves to a new relay peer with every message arriving once and in order.
import { expect } from 'vitest';
import type { Player } from '../mesh/players.js';
import { until } from './until.js';

/** Messages of the pair's numbered stream `to` got from `from`, in arrival order. */
const stream = (to: Player, from: Player): number[] =>
  to.messages.filter((m) => m.from === from.id && (m.payload as { s?: string }).s === 'pair').map((m) => (m.payload as { n: number }).n);

export class RelayedPair {
  /** Messages sent so far each way. */
  sent = 0;
  /** What sending threw (a send must never throw while the relay is away: it waits). */
  readonly sendErrors: string[] = [];
  private readonly talking: ReturnType<typeof setInterval>;

  constructor(
    private readonly ann: Player,
    private readonly cat: Player,
  ) {
    this.talking = setInterval(() => {
      // Each way on its own: a send that throws leaves a gap in its stream (and an error), not a repeat in the other.
      const n = this.sent++;
      for (const [from, to] of [
        [ann, cat],
        [cat, ann],
      ] as const) {
        try {
          from.mesh.sendPrivate(to.id, { s: 'pair', n });
        } catch (error) {
          this.sendErrors.push(`${from.name} → ${to.name}, message ${n}: ${String(error)}`);
        }
      }
    }, 50);
  }

  /** Resolves once the pair's messages arrive through the relay. */
  heard(): Promise<unknown> {
    return until(() => stream(this.cat, this.ann).length >= 5, 'the pair talking through the relay');
  }

  /** Waits until both name one new relay peer (not `oldRelay`), are linked to it and talk through it again; its id. */
  async moved(oldRelay: string, timeoutMs: number): Promise<string> {
    const { ann, cat } = this;
    await until(
      () => ann.session.relayId !== oldRelay && cat.session.relayId === ann.session.relayId && ann.mesh.viaRelay(cat.id) && cat.mesh.viaRelay(ann.id),
      'RELAY_PAIR naming the new relay peer, on both sides',
      timeoutMs,
    );
    const relay = ann.session.relayId!;
    await until(() => ann.mesh.link(relay)?.connected === true && cat.mesh.link(relay)?.connected === true, 'both linked to the new relay peer', 30_000);
    const sent = this.sent;
    await until(() => stream(cat, ann).length > sent + 10 && stream(ann, cat).length > sent + 10, 'messages through the new relay peer', 30_000);
    return relay;
  }

  stop(): void {
    clearInterval(this.talking);
  }

  /** Stops talking; everything sent arrived once and in order both ways (what waited while there was no relay, and what the lost one swallowed, sent again). */
  async expectEveryMessageOnceInOrder(): Promise<void> {
    this.stop();
    const { ann, cat, sent } = this;
    const all = [...Array(sent).keys()];
    await until(() => stream(cat, ann).length >= sent && stream(ann, cat).length >= sent, 'every message', 15_000).catch(() => undefined);
    expect(stream(cat, ann)).toEqual(all);
    expect(stream(ann, cat)).toEqual(all);
    expect(this.sendErrors).toEqual([]);
  }
}
