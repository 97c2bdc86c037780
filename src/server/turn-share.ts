// Work per address per event-loop turn, and data per address per second. The connections of one address
// can all become readable in the same instant and bring thousands of packets, or megabytes, at once (a
// flood that stays inside the per-address budget: its burst is 2,000 packets; 1,000 connections each
// uploading 60 KiB); read and handled in that one turn, everyone else waits for all of it. So an address
// gets a share of each turn: N packets handled and B bytes read. Past either, every connection of that
// address stops reading: the event loop's poll phase then skips their sockets still waiting in this turn
// (libuv drops the events of a stopped handle), so what they sent stays in the kernel's buffers; they
// start again a few a turn. Stopping only the connection that went over (a socket.pause(), as before) left
// the others to be read and parsed in the same turn, and a paused socket is still read until its stream
// holds 16 KiB.
// A share per turn bounds a turn, not how many turns the address fills: uploads from a few addresses
// still kept the server reading (and collecting what it read) most of the time. So an address also has a
// read rate, bytes per second with a second's worth as its burst (far above what signalling needs: an
// address's packet budget of small frames stays under it): past it, its connections stay stopped until
// the rate has paid for what was read.
// A connection's packets past the share (the rest of a chunk already read) wait for a later turn, in order,
// connections taking turns.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { startReading, stopReading } from './drop.js';
import { AddressBudgets } from './address-budget.js';

export interface TurnShareOptions {
  /** Packets of one address handled per turn (0 = no limit). */
  packets: number;
  /** Bytes of one address read per turn (0 = no limit). */
  bytes: number;
  /** Bytes of one address read per second, a second's worth at once (0 = no limit). */
  bytesPerSecond: number;
}

// 8 packets: well above what one address's packet budget (500/s) needs even in 10 ms turns; 32 let 256
// flooding connections of one address fill each turn 4 times as long (bench/abuse.mjs connection-flood).
export const DEFAULT_TURN_SHARE: TurnShareOptions = { packets: 8, bytes: 1024 * 1024, bytesPerSecond: 2 * 1024 * 1024 };

/** Stopped connections of an address that start reading again per turn. */
export const STARTS_PER_TURN = 16;

type Handle = (ws: WebSocket, data: Buffer, isBinary: boolean) => void;

/** A paused connection's packets, oldest first. */
interface Waiting {
  address: string;
  packets: { data: Buffer; isBinary: boolean }[];
}

/** How a connection stops reading and starts again (drop.ts: its socket's handle, not only the stream). */
export interface Reading {
  stop(ws: WebSocket): void;
  start(ws: WebSocket): void;
}

/** What an address used of the current turn. */
interface Used {
  packets: number;
  bytes: number;
}

/** `map`'s entry for `key`, made first if there is none. */
function entryOf<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

const WATCHED = Symbol('turn-share');
type Watched = Duplex & { [WATCHED]?: string };
type WatchedSocket = WebSocket & { [WATCHED]?: string };

export class TurnShare {
  private readonly used = new Map<string, Used>();
  /** Connections of each address (watched ones), to stop them all at once. */
  private readonly byAddress = new Map<string, Set<WebSocket>>();
  /** Addresses whose share of this turn is spent. */
  private readonly held = new Set<string>();
  /** Connections the share stopped, per address, in the order they stopped. */
  private readonly stopped = new Map<string, Set<WebSocket>>();
  /** Connections with packets waiting, in the order they started waiting (Map order: each gets its turn). */
  private readonly waiting = new Map<WebSocket, Waiting>();
  private next: ReturnType<typeof setImmediate> | undefined;
  /** What each address may still read (in debt past its rate), if there is a rate. */
  private readonly rate: AddressBudgets | undefined;
  /** The turn that restarts connections of addresses whose rate has paid for their reads, and when it is due. */
  private wake: ReturnType<typeof setTimeout> | undefined;
  private wakeAt = 0;
  /** One listener for every socket (`this` is the socket): counts what it read. */
  private readonly onData: (this: Watched, chunk: Buffer) => void;

  constructor(
    readonly options: TurnShareOptions,
    private readonly handle: Handle,
    private readonly reading: Reading = { stop: stopReading, start: startReading },
    private readonly now: () => number = Date.now,
  ) {
    if (options.bytesPerSecond > 0) this.rate = new AddressBudgets({ perSecond: options.bytesPerSecond, burst: options.bytesPerSecond }, now);
    const share = this;
    this.onData = function (this: Watched, chunk: Buffer) {
      const address = this[WATCHED];
      if (address !== undefined) share.read(address, chunk.length);
    };
  }

  /** Counts `ws`'s reads against `address`'s share, and stops it with the others of its address. */
  watch(ws: WebSocket, socket: Duplex, address: string): void {
    entryOf(this.byAddress, address, () => new Set()).add(ws);
    (ws as WatchedSocket)[WATCHED] = address;
    if (this.options.bytes <= 0 && !this.rate) return;
    (socket as Watched)[WATCHED] = address;
    socket.on('data', this.onData);
  }

  /** Handles a packet of `ws` (from `address`) now, or queues it for a later turn. */
  offer(ws: WebSocket, address: string, data: Buffer, isBinary: boolean): void {
    const queued = this.waiting.get(ws);
    if (queued) return void queued.packets.push({ data, isBinary }); // behind its own earlier packets
    if (this.options.packets <= 0 || this.take(address)) return void this.handle(ws, data, isBinary);
    this.waiting.set(ws, { address, packets: [{ data, isBinary }] });
    this.hold(address);
  }

  /** A connection closed or is being cut: what it still had queued is dropped, and it is never started again. */
  forget(ws: WebSocket): void {
    this.waiting.delete(ws);
    const address = (ws as WatchedSocket)[WATCHED];
    if (address !== undefined) this.stopped.get(address)?.delete(ws);
    const connections = address === undefined ? undefined : this.byAddress.get(address);
    if (!connections?.delete(ws) || connections.size > 0) return;
    this.byAddress.delete(address!);
  }

  /** Connections with packets waiting now (for tests and metrics). */
  get paused(): number {
    return this.waiting.size;
  }

  stop(): void {
    if (this.next) clearImmediate(this.next);
    this.next = undefined;
    this.rate?.stop();
    clearTimeout(this.wake);
    this.wake = undefined;
    this.waiting.clear();
    this.used.clear();
    this.held.clear();
    this.stopped.clear();
    this.byAddress.clear();
  }

  private use(address: string): Used {
    const used = entryOf(this.used, address, () => ({ packets: 0, bytes: 0 }));
    this.next ??= setImmediate(this.turn);
    return used;
  }

  private take(address: string): boolean {
    const used = this.use(address);
    if (used.packets >= this.options.packets) return false;
    used.packets += 1;
    return true;
  }

  private read(address: string, bytes: number): void {
    const used = this.use(address);
    used.bytes += bytes;
    const inDebt = this.rate !== undefined && this.rate.spend(address, bytes) < 0;
    if (inDebt || (this.options.bytes > 0 && used.bytes >= this.options.bytes)) this.hold(address);
  }

  /** Every connection of `address` stops reading; they start again in later turns, a few a turn. */
  private hold(address: string): void {
    if (this.held.has(address)) return;
    this.held.add(address);
    const stopped = entryOf(this.stopped, address, () => new Set());
    for (const ws of this.byAddress.get(address) ?? []) {
      if (stopped.has(ws)) continue;
      stopped.add(ws);
      this.reading.stop(ws);
    }
    this.next ??= setImmediate(this.turn);
  }

  /** A new turn: every address's share is whole again; queued packets go first, a connection at a time. */
  private readonly turn = (): void => {
    this.next = undefined;
    this.used.clear();
    this.held.clear();
    for (const [ws, queued] of this.waiting) {
      let sent = 0;
      while (sent < queued.packets.length && this.take(queued.address)) {
        const packet = queued.packets[sent]!;
        sent += 1;
        this.handle(ws, packet.data, packet.isBinary);
      }
      queued.packets.splice(0, sent);
      if (queued.packets.length > 0) this.hold(queued.address);
      else this.waiting.delete(ws);
    }
    // Stopped connections of addresses not held again start reading, those stopped longest first, a few
    // a turn: starting all of an address's 256 each turn cost 2–3 ms of epoll_ctl calls a turn, and
    // those with data spend the share anyway. One with packets waiting waits for them; one that started
    // closing meanwhile stays stopped (drop.ts / paced-cuts.ts). An address still in debt to its rate waits,
    // for a timer rather than turn after turn.
    let startable = false;
    let debtMs = Infinity;
    for (const [address, stopped] of this.stopped) {
      if (this.held.has(address)) continue;
      const owed = this.rate ? this.rate.waitMs(address) : 0;
      if (owed > 0) {
        debtMs = Math.min(debtMs, owed);
        continue;
      }
      startable = true;
      let started = 0;
      for (const ws of stopped) {
        if (started >= STARTS_PER_TURN) break;
        if (this.waiting.has(ws)) continue;
        stopped.delete(ws);
        started += 1;
        if (ws.readyState === ws.OPEN) this.reading.start(ws);
      }
      if (stopped.size === 0) this.stopped.delete(address);
    }
    if (this.waiting.size > 0 || this.held.size > 0 || startable) this.next ??= setImmediate(this.turn);
    else if (debtMs < Infinity) this.wakeIn(debtMs);
  };

  /** A turn in `ms`, unless one is due sooner: the first address whose rate has paid for its reads starts then. */
  private wakeIn(ms: number): void {
    const at = this.now() + ms;
    if (this.wake && this.wakeAt <= at) return;
    clearTimeout(this.wake);
    this.wakeAt = at;
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.next ??= setImmediate(this.turn);
    }, ms);
  }
}
