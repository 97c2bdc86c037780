// The RelayProvider main.ts uses: the relay peers run in one child process (relay-child.ts), not on
// the signalling thread. A child process and not a worker thread: @roamhq/wrtc is a native addon, and
// terminating a worker that loaded it (to restart it), or exiting while one runs, crashes the whole
// process with SIGSEGV (tried on Node 20), as would any crash inside it; and a process gets its own heap
// cap (--max-old-space-size) and CPU priority (nice).
// Offers and links are limited here, before a signal crosses to the relay process; bytes there. If the
// process dies or stops answering it is (killed and) restarted; its lobbies' relay peers are reported
// lost (the server starts new ones: handlers/relay.ts) and signalling never waits for it.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setPriority } from 'node:os';
import { REFUSALS_TOLD_EVERY_MS, RelayRefusal, type RelayedOpcode, type User } from '../../protocol/index.js';
import type { RelayLobby, RelayNotices, RelayProvider, RelaySignalSink, SignalPayload } from '../context.js';
import { KeyedBuckets } from '../keyed-buckets.js';
import type { Logger } from '../log.js';
import { HEARTBEAT_MISSES, HEARTBEAT_MS, type FromRelayProcess, type RelayHandle, type ToRelayProcess } from './relay-ipc.js';
import { RelayNegotiations } from './relay-negotiations.js';
import { DEFAULT_RELAY_BUDGET, relayLimitsOf, type RelayLimits, type RelayProcessBudget } from './relay-limits.js';

export interface RelayProcessOptions {
  /** The relay process's module: dist/relay.mjs beside dist/server.mjs. */
  entry: string | URL;
  log: Logger;
  limits?: Partial<RelayLimits>;
  budget?: Partial<RelayProcessBudget>;
}

/** How long starting a relay peer waits for the relay process to be up (after a restart). */
const READY_WAIT_MS = 10_000;
/** First restart delay; doubled (to MAX_RESTART_MS) while the process keeps dying within STABLE_MS. */
const RESTART_MS = 200;
const MAX_RESTART_MS = 30_000;
const STABLE_MS = 30_000;
/** Offers one member may make to relay peers back to back (a first link and a couple of retries). */
const OFFER_BURST = 4;

interface Relayed {
  lobby: RelayLobby;
  send: RelaySignalSink;
  notices?: RelayNotices;
  /** Members whose offer was passed on and whose link has not closed: what linksPerLobby counts. */
  linked: Set<string>;
}

export interface RelayProcessProvider extends RelayProvider {
  /** The relay process's pid while it runs. */
  readonly pid: number | undefined;
  /** Resolves once the relay process is up (rejects if no relay can run here). */
  ready(): Promise<void>;
  /** Stops the relay process for good. */
  close(): Promise<void>;
}

export function relayProcess(options: RelayProcessOptions): RelayProcessProvider {
  return new RelayProcess(options);
}

class RelayProcess implements RelayProcessProvider {
  private child: ChildProcess | null = null;
  private up = false;
  private unavailable: string | null = null;
  private closed = false;
  private startedAt = 0;
  private restartMs = RESTART_MS;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private lastBeat = 0;
  private linkCount = 0;
  private waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private nextHandle = 0;
  private readonly relayed = new Map<RelayHandle, Relayed>();
  private readonly handles = new Map<RelayLobby, RelayHandle>();
  private readonly limits: RelayLimits;
  private readonly budget: RelayProcessBudget;
  private readonly offers: KeyedBuckets;
  private readonly negotiations: RelayNegotiations;
  private readonly told = new KeyedBuckets(1, 1 / REFUSALS_TOLD_EVERY_MS);
  /** Offers refused since the last watch() without telling their member (told recently). */
  private quietRefusals = 0;
  private readonly watchdog: ReturnType<typeof setInterval>;

  constructor(private readonly options: RelayProcessOptions) {
    this.limits = relayLimitsOf(options.limits);
    this.budget = { ...DEFAULT_RELAY_BUDGET, ...options.budget };
    // Spread over the minute, in bursts of at most OFFER_BURST: a burst of offers from many members builds
    // that many peer connections at once, and their threads and fds last until they are collected.
    this.offers = new KeyedBuckets(Math.min(this.limits.offersPerMinute, OFFER_BURST), this.limits.offersPerMinute / 60_000);
    this.negotiations = new RelayNegotiations(this.limits.negotiations, this.limits.negotiationsPerAddress, this.limits.negotiationMs);
    this.watchdog = setInterval(() => this.watch(), HEARTBEAT_MS);
    this.watchdog.unref();
    this.start();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): void {
    if (this.closed) return;
    const { bytesPerSecond, negotiations, negotiationMs } = this.limits;
    const child = fork(this.options.entry, [JSON.stringify({ bytesPerSecond, negotiations, negotiationMs })], {
      // --expose-gc: closed peer connections are freed only when collected (relay-child.ts).
      execArgv: [`--max-old-space-size=${this.budget.memoryMib}`, '--expose-gc'],
      serialization: 'json',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.startedAt = Date.now();
    this.lastBeat = this.startedAt;
    try {
      if (child.pid !== undefined) setPriority(child.pid, this.budget.nice);
    } catch (error) {
      this.options.log('warn', 'relay.priority_failed', { nice: this.budget.nice, error: String(error) });
    }
    child.on('message', (message) => this.heard(message as FromRelayProcess));
    child.on('error', (error) => this.options.log('error', 'relay.process_error', { error: String(error) }));
    child.on('exit', (code, signal) => this.exited(child, code, signal));
  }

  private heard(message: FromRelayProcess): void {
    if (message.t === 'ready') {
      this.up = true;
      this.lastBeat = Date.now();
      this.options.log('info', 'relay.process_ready', { pid: this.child?.pid });
      for (const waiter of this.waiting.splice(0)) waiter.resolve();
      return;
    }
    if (message.t === 'heartbeat') {
      this.lastBeat = Date.now();
      this.linkCount = message.links;
      return;
    }
    if (message.t === 'log') return void this.options.log(message.level, message.event, message.fields);
    if (message.t === 'unavailable') {
      this.unavailable = message.reason;
      this.options.log('warn', 'relay.unavailable', { reason: message.reason });
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(message.reason));
      return;
    }
    const relayed = this.relayed.get(message.lobby);
    if (!relayed) return;
    switch (message.t) {
      case 'signal':
        return void relayed.send(message.to, message.opcode, message.payload);
      case 'ask':
        return void this.post({ t: 'member', lobby: message.lobby, id: message.id, member: relayed.lobby.isMember(message.id) });
      case 'opened':
        return void this.negotiations.done(message.lobby, message.member);
      case 'closed':
        relayed.linked.delete(message.member);
        return void this.negotiations.done(message.lobby, message.member);
      case 'warn':
        return void relayed.notices?.warn(message.member, message.text);
    }
  }

  /** A relay process that stopped answering, or never started to (a busy loop, a native hang), is killed: exited() restarts it. */
  private watch(): void {
    const now = Date.now();
    this.offers.sweep(now);
    this.told.sweep(now);
    this.negotiations.sweep(now);
    if (this.quietRefusals) {
      this.options.log('warn', 'relay.refused_quietly', { offers: this.quietRefusals, why: `members told at most every ${REFUSALS_TOLD_EVERY_MS / 1000} s` });
      this.quietRefusals = 0;
    }
    const child = this.child;
    if (!child || Date.now() - this.lastBeat < HEARTBEAT_MS * HEARTBEAT_MISSES) return;
    this.options.log('error', 'relay.process_stalled', { pid: child.pid, silentMs: Date.now() - this.lastBeat });
    child.kill('SIGKILL');
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    this.up = false;
    this.linkCount = 0;
    this.negotiations.clear();
    const lost = [...this.relayed.values()];
    this.relayed.clear();
    this.handles.clear();
    if (this.closed || this.unavailable) return;
    const lived = Date.now() - this.startedAt;
    this.restartMs = lived >= STABLE_MS ? RESTART_MS : Math.min(MAX_RESTART_MS, this.restartMs * 2);
    this.options.log('error', 'relay.process_exit', { code, signal, lobbies: lost.length, restartInMs: this.restartMs });
    this.restartTimer = setTimeout(() => this.start(), this.restartMs);
    const why = `the relay process stopped (${signal ?? `exit ${code}`})`;
    for (const each of lost) each.notices?.lost(why);
  }

  private post(message: ToRelayProcess): void {
    const child = this.child;
    // A message to a process that is gone is dropped: its exit reports its lobbies lost.
    if (child?.connected) child.send(message, (error) => error && this.options.log('warn', 'relay.ipc_failed', { error: String(error) }));
  }

  ready(): Promise<void> {
    if (this.unavailable) return Promise.reject(new Error(this.unavailable));
    if (this.closed) return Promise.reject(new Error('the relay process was stopped'));
    if (this.up) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new Error(`the relay process did not start within ${READY_WAIT_MS / 1000} s`));
      }, READY_WAIT_MS);
      this.waiting.push(waiter);
    });
  }

  async create(lobby: RelayLobby, send: RelaySignalSink, notices?: RelayNotices): Promise<User> {
    await this.ready();
    const id = randomUUID();
    const user: User = { instance_id: id, user_id: id, username: 'relay' };
    const handle = ++this.nextHandle;
    this.relayed.set(handle, { lobby, send, notices, linked: new Set() });
    this.handles.set(lobby, handle);
    this.post({ t: 'create', lobby: handle, user });
    return user;
  }

  signal(lobby: RelayLobby, from: User, opcode: RelayedOpcode, payload: SignalPayload, address?: string): void {
    const handle = this.handles.get(lobby);
    const relayed = handle === undefined ? undefined : this.relayed.get(handle);
    if (!relayed) return;
    const member = from.instance_id;
    if (opcode === 'MAKE_OFFER') {
      // No address: a member another node holds, whose node did not send it (an older version): a share of its own.
      const refusal = this.refuseOffer(handle!, relayed, member, address ?? `member:${member}`);
      if (refusal) return void this.refused(lobby, relayed, member, refusal);
      relayed.linked.add(member);
    }
    this.post({ t: 'signal', lobby: handle!, from, opcode, payload, wide: lobby.lobbyWide });
  }

  private refused(lobby: RelayLobby, relayed: Relayed, member: string, reason: string): void {
    if (!this.told.take(member, Date.now())) {
      this.quietRefusals += 1;
      return;
    }
    this.options.log('warn', 'relay.refused', { game: lobby.game, lobby: lobby.name, member, reason });
    relayed.notices?.warn(member, reason);
  }

  /** Why this offer is refused (null: it goes on): checked before it can build a peer connection. */
  private refuseOffer(handle: RelayHandle, relayed: Relayed, member: string, address: string): string | null {
    const { linksPerLobby, offersPerMinute, negotiations, negotiationsPerAddress } = this.limits;
    if (!relayed.linked.has(member) && relayed.linked.size >= linksPerLobby) return RelayRefusal.links(linksPerLobby);
    // Before the offer budget: an offer refused while the relay is busy costs the member nothing.
    const noSlot = this.negotiations.refusal(handle, member, address);
    if (noSlot === 'full') return RelayRefusal.negotiations(negotiations);
    if (noSlot === 'share') return RelayRefusal.negotiationsPerAddress(negotiationsPerAddress);
    const now = Date.now();
    if (!this.offers.take(member, now)) return RelayRefusal.offers(offersPerMinute, this.offers.waitMs(member, now));
    this.negotiations.start(handle, member, address, now);
    return null;
  }

  memberLeft(lobby: RelayLobby, instanceId: string): void {
    const handle = this.handles.get(lobby);
    if (handle === undefined) return;
    this.relayed.get(handle)?.linked.delete(instanceId);
    this.negotiations.done(handle, instanceId);
    this.post({ t: 'left', lobby: handle, member: instanceId });
  }

  destroy(lobby: RelayLobby): void {
    const handle = this.handles.get(lobby);
    if (handle === undefined) return;
    this.handles.delete(lobby);
    this.relayed.delete(handle);
    this.negotiations.forget(handle);
    this.post({ t: 'destroy', lobby: handle });
  }

  links(): number {
    return this.linkCount;
  }

  negotiating(): number {
    return this.negotiations.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('the relay process was stopped'));
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
