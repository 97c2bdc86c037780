// Work per address per event-loop turn. The connections of one address can all become readable in the
// same instant and bring thousands of packets at once (a flood that stays inside the per-address budget:
// its burst is 2,000 packets); handled in that one turn, everyone else waits for all of them (~50 µs
// each, so 100 ms). Past `perTurn` packets of one address in a turn, that connection's packets wait for a
// later turn, in order, with its socket paused meanwhile (what follows stays in the kernel's buffers, not
// our memory), so the other addresses' packets are handled in between. Connections take turns.
import type { WebSocket } from 'ws';

export const DEFAULT_PACKETS_PER_ADDRESS_PER_TURN = 100;

type Handle = (ws: WebSocket, data: Buffer, isBinary: boolean) => void;

/** A paused connection's packets, oldest first. */
interface Waiting {
  address: string;
  packets: { data: Buffer; isBinary: boolean }[];
}

export class TurnShare {
  /** Packets handled this turn, per address. */
  private readonly used = new Map<string, number>();
  /** Paused connections, in the order they were paused (Map order: each gets its turn). */
  private readonly waiting = new Map<WebSocket, Waiting>();
  private next: ReturnType<typeof setImmediate> | undefined;

  /** `perTurn` 0: no share (every packet handled on arrival). */
  constructor(
    private readonly perTurn: number,
    private readonly handle: Handle,
  ) {}

  /** Handles a packet of `ws` (from `address`) now, or queues it for a later turn. */
  offer(ws: WebSocket, address: string, data: Buffer, isBinary: boolean): void {
    const queued = this.waiting.get(ws);
    if (queued) return void queued.packets.push({ data, isBinary }); // behind its own earlier packets
    if (this.perTurn <= 0 || this.take(address)) return void this.handle(ws, data, isBinary);
    this.waiting.set(ws, { address, packets: [{ data, isBinary }] });
    ws.pause();
  }

  /** A connection closed: what it still had queued is dropped. */
  forget(ws: WebSocket): void {
    this.waiting.delete(ws);
  }

  /** Connections paused now (for tests and metrics). */
  get paused(): number {
    return this.waiting.size;
  }

  stop(): void {
    if (this.next) clearImmediate(this.next);
    this.next = undefined;
    this.waiting.clear();
    this.used.clear();
  }

  private take(address: string): boolean {
    const used = this.used.get(address) ?? 0;
    if (used >= this.perTurn) return false;
    this.used.set(address, used + 1);
    this.next ??= setImmediate(this.turn);
    return true;
  }

  /** A new turn: every address's share is whole again; queued packets go first, a connection at a time. */
  private readonly turn = (): void => {
    this.next = undefined;
    this.used.clear();
    for (const [ws, queued] of this.waiting) {
      let sent = 0;
      while (sent < queued.packets.length && this.take(queued.address)) {
        const packet = queued.packets[sent]!;
        sent += 1;
        this.handle(ws, packet.data, packet.isBinary);
      }
      queued.packets.splice(0, sent);
      if (queued.packets.length > 0 || !this.waiting.has(ws)) continue;
      this.waiting.delete(ws);
      // One that started closing meanwhile stays stopped (drop.ts / paced-cuts.ts stopped its reading).
      if (ws.readyState === ws.OPEN) ws.resume();
    }
    if (this.waiting.size > 0) this.next ??= setImmediate(this.turn);
  };
}
