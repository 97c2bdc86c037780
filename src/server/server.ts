// startServer: the signalling server (WebSocket) and its HTTP side on one port.
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { CLOSE_TRY_LATER, MAX_FRAME_BYTES, RATE_BURST, RATE_PER_SECOND, RATE_STRIKES_BEFORE_VIOLATION, UGI_MAX } from '../protocol/index.js';
import { Admission, DEFAULT_ADMISSION, type AdmissionOptions } from './admission.js';
import type { RelayProvider, ServerContext, TokenVerifier } from './context.js';
import type { Cluster } from './cluster/cluster.js';
import { AddressBudgets } from './address-budget.js';
import { clientAddress } from './client-address.js';
import { withinDeadline } from './deadline.js';
import { dispatch, VIOLATION_TOO_BIG } from './dispatch.js';
import { frameErrorsWithoutStack } from './frame-errors.js';
import { httpHandler } from './http.js';
import { DEFAULT_HTTP_RATE, HttpRate, type HttpRateOptions } from './http-rate.js';
import { CLOSE_TIMEOUT_MS, dropAfterClose } from './drop.js';
import { DEFAULT_INCOMING, IncomingBudget, type IncomingOptions } from './incoming.js';
import { jsonLogger, type Logger } from './log.js';
import { DEFAULT_CUTS_PER_TURN, PacedCuts } from './paced-cuts.js';
import { joinCluster } from './cluster/join.js';
import { DEFAULT_ANNOUNCER, LobbyAnnouncer, type AnnouncerOptions } from './lobby-announcer.js';
import { DEFAULT_FANOUT, FanoutBudget, type FanoutOptions } from './fanout-budget.js';
import { DEFAULT_JOIN_COOLDOWN_MS } from './join-cooldown.js';
import { DEFAULT_SIGNAL_CREDIT, type SignalCreditOptions } from './signal-credit.js';
import { leaveLobby } from './membership.js';
import { defaultNodeId, serverMetrics, type ServerMetrics } from './metrics.js';
import { MemoryStore } from './memory-store.js';
import { DEFAULT_PASSWORD_GUARD, PasswordGuard, type PasswordGuardOptions } from './password-guard.js';
import { DEFAULT_PASSWORD_HASHING, PasswordHasher, type PasswordHashingOptions } from './password.js';
import { Player } from './player.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { Seats } from './seats.js';
import { DEFAULT_TURN_SHARE, TurnShare } from './turn-share.js';
import { SlicedLoop } from './sliced-loop.js';
import type { LobbyStore } from './store.js';
import { checkTurnOptions, type TurnOptions } from './turn.js';

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Browser origins allowed to open the WebSocket; empty allows any. */
  allowedOrigins?: string[];
  /** The built extension served at /cloudlink5.js. */
  extensionFile?: string;
  rateLimit?: Partial<RateLimitOptions>;
  /** The budget all connections from one address share (default: 10 connections' worth of rateLimit). */
  addressRateLimit?: Partial<Pick<RateLimitOptions, 'perSecond' | 'burst'>>;
  pingIntervalMs?: number;
  logger?: Logger;
  tokenVerifier?: TokenVerifier;
  relay?: RelayProvider;
  store?: LobbyStore;
  /** How long the seat of a player whose connection dropped is held for RESUME (default 30 s; 0 = off). */
  resumeGraceMs?: number;
  /** TURN service whose short-lived credentials each player gets in INIT_OK (src/server/turn.ts). */
  turn?: TurnOptions;
  /** This server's `node` label in GET /metrics (default: hostname-pid). */
  nodeId?: string;
  /**
   * Several nodes sharing `store` (a RedisStore) through Redis (cluster/connect.ts builds both): players
   * held by other nodes are reached through it. Its nodeId is this server's.
   */
  cluster?: Cluster;
  /** Behind a reverse proxy: count each connection against its X-Forwarded-For address (client-address.ts). */
  trustProxy?: boolean;
  /** Connection caps (total, per address) and the INIT deadline (admission.ts). */
  admission?: Partial<AdmissionOptions>;
  /** HTTP requests (status page, health, metrics, the extension) per second and at once from one address (http-rate.ts). */
  httpRequests?: Partial<HttpRateOptions>;
  /** Wrong lobby passwords allowed per minute, per lobby and per address (password-guard.ts). */
  passwordGuard?: Partial<PasswordGuardOptions>;
  /** Threads that hash lobby passwords, and their CPU priority (password.ts). */
  passwordHashing?: Partial<PasswordHashingOptions>;
  /** Unsent bytes held for one client that does not read before it is cut (default 1 MiB). */
  maxOutboxBytes?: number;
  /** How NEW_LOBBY is coalesced: at most one batch per idle player per interval, names per batch (lobby-announcer.ts). */
  announcer?: Partial<AnnouncerOptions>;
  /** The budgets lobby requests' fan-out is charged to, per connection and per address (fanout-budget.ts). */
  fanout?: Partial<FanoutOptions>;
  /** Signals a member may send a newcomer outside its own limits (signal-credit.ts). */
  signalCredit?: Partial<SignalCreditOptions>;
  /** A player joins at most once per this many milliseconds (default 1 s; 0 = no limit). */
  joinCooldownMs?: number;
  /** Bytes of unfinished messages all connections may hold, and the time a message may take (incoming.ts). */
  incoming?: Partial<IncomingOptions>;
  /** Connections cut for a violation per event-loop turn, when many are at once (paced-cuts.ts; default 8). */
  cutsPerTurn?: number;
  /** Packets of one address handled per event-loop turn; the rest wait, its sockets stopped (turn-share.ts; default 8, 0 = no limit). */
  packetsPerAddressPerTurn?: number;
  /** Bytes of one address read per event-loop turn; past it its sockets stop until the next turn (turn-share.ts; default 1 MiB, 0 = no limit). */
  bytesPerAddressPerTurn?: number;
  /** Bytes of one address read per second, a second's worth at once; past it its sockets stop until paid for (turn-share.ts; default 2 MiB, 0 = no limit). */
  bytesPerAddressPerSecond?: number;
}

/** How many connections' worth of packets one address may send by default (players behind one NAT share it). */
const ADDRESS_SHARE = 10;

/** Closes by which a client leaves on purpose (normal, going away, a close frame without a code): its seat is released at once. */
const DELIBERATE_CLOSE = new Set([1000, 1001, 1005]);
/** A ping round's work per event-loop turn. */
const PING_SLICE_MS = 1;

export interface RunningServer {
  /** http://host:port */
  url: string;
  /** ws://host:port/ */
  wsUrl: string;
  port: number;
  /** Players, lobbies and held seats (plain data: commands and queries). */
  store: LobbyStore;
  /** What GET /metrics serves: this server's own prom-client Registry. */
  metrics: ServerMetrics;
  /** This node's players of a game, connected or with a held seat (tests tap their sockets). */
  connections(game: string): Player[];
  /** Closes every socket (1001) and stops listening. */
  close(): Promise<void>;
  /**
   * Graceful drain (SIGTERM with --redis): stops accepting connections (/readyz 503), closes every
   * connection with 1012 so that its client resumes on another node (the seats are held, not released),
   * waits until they all did or `timeoutMs` passed, then closes. Seats still held here are released by
   * the other nodes after the grace period.
   */
  drain(timeoutMs: number): Promise<void>;
}

/** The close code a drain uses: "service restart", which a client treats as a drop and resumes from, elsewhere. */
export const DRAIN_CLOSE = { code: 1012, reason: 'server node restarting: resume on another node' };

/**
 * The repository root: the nearest folder above this module holding package.json. Searched rather
 * than fixed, because this file runs both as src/server/server.ts and bundled as dist/server.mjs.
 */
function findRepoRoot(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}
export const PLAYER = Symbol('player');

/**
 * ws closes a frame above maxPayload itself, while it still arrives (1009, no reason), and then emits
 * the error. The seed's table says a VIOLATION with the reason comes first, and many may go over at
 * once (1,000 attackers in one turn), so that close waits: onError has the connection cut in its turn
 * (PacedCuts), VIOLATION first, and read no further meanwhile.
 */
class CloudLinkSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    // ws's own call passes no reason; ours (Player.close) always do.
    if (code === VIOLATION_TOO_BIG && data === undefined && this.readyState === this.OPEN) return;
    super.close(code, data);
  }

  /** The close ws asked for, VIOLATION first; the socket is let go of as any violator's (drop.ts). */
  cutTooBig(): void {
    (this as unknown as SocketWithPlayer)[PLAYER].tooBig(`frame too large: over ${MAX_FRAME_BYTES} bytes`);
    super.close(VIOLATION_TOO_BIG);
    dropAfterClose(this);
  }
}
/** The remote address a socket was admitted from (its player's address changes when a RESUME moves it). */
const ADDRESS = Symbol('address');
type SocketWithPlayer = WebSocket & { [PLAYER]: Player; [ADDRESS]: string };
const playerOf = (ws: WebSocket): Player => (ws as SocketWithPlayer)[PLAYER];
const ignore = (): void => {};

/** The game partition from `?ugi=`: absent or empty ⇒ "default"; too long ⇒ null (refused). */
function gameOf(url: string | undefined): string | null {
  let ugi: string | null;
  try {
    ugi = new URL(url ?? '/', 'http://localhost').searchParams.get('ugi');
  } catch {
    return null;
  }
  if (!ugi) return 'default';
  return [...ugi].length > UGI_MAX ? null : ugi;
}

function refuseUpgrade(socket: Duplex, status: string, headers = ''): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n${headers}Content-Length: 0\r\n\r\n`);
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.logger ?? jsonLogger();
  const store = options.store ?? new MemoryStore();
  if (options.turn) checkTurnOptions(options.turn);
  /** Open connections (pinged, closed at shutdown). */
  const players = new Set<Player>();
  /** Initialized players by instance id, with or without a connection: where packets are delivered. */
  const byId = new Map<string, Player>();
  /** Takes a player out for good: its lobby, its name, its seat. */
  const release = (player: Player, why: string): void => {
    seats.forget(player);
    // A seat released while its connection still looks open (a refused resume): that connection goes too.
    if (player.open) {
      player.closedByServer = true;
      player.socket.terminate();
    }
    if (!player.user) return;
    byId.delete(player.id);
    const out = async () => {
      await leaveLobby(ctx, player, why);
      await store.removePlayer(player.game, player.id);
      await options.cluster?.unregister(player.id, player);
      log('info', 'player.disconnect', { game: player.game, player: player.id, why });
    };
    const done = out()
      .catch((error: unknown) => log('error', 'player.release_failed', { player: player.id, error: String(error) }))
      .finally(() => releasing.delete(done));
    releasing.add(done);
  };
  /** Releases under way: a shutdown waits for them, so a stopping node leaves no stale seat in a shared store. */
  const releasing = new Set<Promise<void>>();
  const seats = new Seats({ graceMs: options.resumeGraceMs ?? 30_000, store, players: byId, release });
  const cuts = new PacedCuts(options.cutsPerTurn ?? DEFAULT_CUTS_PER_TURN);
  /** Every cut goes this way: its packets waiting for a turn are dropped, so its socket is never resumed (turn-share.ts). */
  const scheduleCut = (ws: WebSocket, run: () => void): void => {
    turnShare.forget(ws);
    admission.violated((ws as SocketWithPlayer)[ADDRESS]);
    cuts.schedule(ws, run);
  };
  const admission = new Admission<Player>({ ...DEFAULT_ADMISSION, ...options.admission }, (player, reason, code) =>
    scheduleCut(player.socket, () => {
      log('info', 'violation.no_init', { address: player.address });
      player.violation(reason, code);
    }),
  );
  const adopt = (fresh: Player, held: Player, opening: string, missed: string[]): void => {
    const old = held.socket;
    admission.identified(fresh);
    players.delete(fresh);
    held.attach(fresh.socket, fresh.address, opening, missed);
    (fresh.socket as SocketWithPlayer)[PLAYER] = held;
    players.add(held);
    // The old connection may still look open here (the drop not noticed yet): it is cut, and its close ignored.
    if (old !== held.socket) old.terminate();
  };
  const relays: ServerContext['relays'] = new Map();
  const metrics = serverMetrics(options.cluster?.nodeId ?? options.nodeId ?? defaultNodeId(), {
    connections: () => players.size,
    players: () => byId.size - seats.held,
    held: () => seats.held,
    lobbies: async () => {
      // Bounded: a store that hangs must not hold the scrape (the gauge then reads NaN).
      return (await withinDeadline(store.games())).reduce((sum, game) => sum + game.lobbies, 0);
    },
    relayPeers: () => relays.size,
    relayLinks: () => options.relay?.links?.() ?? 0,
    relayNegotiations: () => options.relay?.negotiating?.() ?? 0,
  });
  const rate: RateLimitOptions = {
    perSecond: RATE_PER_SECOND,
    burst: RATE_BURST,
    strikesBeforeViolation: RATE_STRIKES_BEFORE_VIOLATION,
    ...options.rateLimit,
  };
  const addressBudgets = new AddressBudgets({
    perSecond: ADDRESS_SHARE * rate.perSecond,
    burst: ADDRESS_SHARE * rate.burst,
    ...options.addressRateLimit,
  });
  const incoming = new IncomingBudget({ ...DEFAULT_INCOMING, ...options.incoming }, (ws, reason, code) =>
    scheduleCut(ws, () => {
      const player = playerOf(ws);
      // A connection a RESUME replaced is cut already; anything else goes with the reason.
      if (player.socket !== ws) return ws.terminate();
      metrics.tally.rejected.violation += 1;
      log('warn', 'violation.incoming', { player: player.id, address: player.address, reason });
      player.violation(reason, code);
    }),
  );
  const passwordGuard = new PasswordGuard({ ...DEFAULT_PASSWORD_GUARD, ...options.passwordGuard });
  const passwords = new PasswordHasher({ ...DEFAULT_PASSWORD_HASHING, ...options.passwordHashing });
  const announcer = new LobbyAnnouncer({ ...DEFAULT_ANNOUNCER, ...options.announcer }, () => byId.values());
  const fanout = new FanoutBudget({ ...DEFAULT_FANOUT, ...options.fanout });
  const signalCredit = { ...DEFAULT_SIGNAL_CREDIT, ...options.signalCredit };
  /** A violator found while handling its packet: nothing more of it is handled, and it is cut in its turn. */
  const cut = (player: Player, event: string, reason: string, code: number): void => {
    player.closedByServer = true;
    scheduleCut(player.socket, () => {
      metrics.tally.rejected.violation += 1;
      log('warn', event, { player: player.id, address: player.address });
      player.violation(reason, code);
    });
  };
  const ctx: ServerContext = {
    store,
    announcer,
    fanout,
    signalCredit: signalCredit.signals,
    joinCooldownMs: options.joinCooldownMs ?? DEFAULT_JOIN_COOLDOWN_MS,
    addressBudgets,
    passwordGuard,
    passwords,
    players: byId,
    relays,
    log,
    tally: metrics.tally,
    seats,
    adopt,
    cut,
    tokenVerifier: options.tokenVerifier,
    relay: options.relay,
    turn: options.turn,
    cluster: options.cluster,
  };
  const turnShare = new TurnShare(
    {
      packets: options.packetsPerAddressPerTurn ?? DEFAULT_TURN_SHARE.packets,
      bytes: options.bytesPerAddressPerTurn ?? DEFAULT_TURN_SHARE.bytes,
      bytesPerSecond: options.bytesPerAddressPerSecond ?? DEFAULT_TURN_SHARE.bytesPerSecond,
    },
    (ws, data, isBinary) => dispatch(ctx, playerOf(ws), data, isBinary),
  );
  const watch = options.cluster && (await joinCluster(ctx, options.cluster, { seats, graceMs: seats.graceMs }));
  const allowed = new Set(options.allowedOrigins ?? []);
  let closing: Promise<void> | null = null;
  let draining = false;

  const httpRequests = new HttpRate({ ...DEFAULT_HTTP_RATE, ...options.httpRequests });
  const http: Server = createServer(
    httpHandler({
      store,
      extensionFile: options.extensionFile ?? path.join(findRepoRoot(), 'dist/cloudlink5.js'),
      startedAt: Date.now(),
      log,
      metrics: metrics.registry,
      accepting: () => closing === null && !draining && http.listening,
      requests: httpRequests,
      addressOf: (req) => clientAddress(req, options.trustProxy ?? false),
      holdRefused: !options.trustProxy,
    }),
  );
  // perMessageDeflate must stay off: outbox.ts writes raw uncompressed frames to ws's socket.
  // maxPayload: ws closes a frame above the limit (1009) while it is still arriving, so no connection
  // ever buffers more than one frame's worth of an oversized message (and incoming.ts caps them all).
  // closeTimeout: a client that does not answer our close frame is cut after it (ws waits 30 s).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
    WebSocket: CloudLinkSocket,
    // ws 8.23's option, not yet in @types/ws.
    ...{ closeTimeout: CLOSE_TIMEOUT_MS },
  });

  // An address whose HTTP requests were refused lately gets no more parsed (http-rate.ts). Behind a proxy
  // every connection is the proxy's, so only its requests' X-Forwarded-For addresses are counted.
  if (!options.trustProxy) {
    http.prependListener('connection', (socket: Socket) => {
      if (httpRequests.shuts(socket.remoteAddress ?? '')) socket.destroy();
    });
  }

  http.on('upgrade', (req, socket, head) => {
    // A peer resetting a refused upgrade must not crash the process (ws guards accepted ones).
    socket.on('error', ignore);
    if (draining || closing) return refuseUpgrade(socket, '503 Service Unavailable');
    const origin = req.headers.origin;
    if (allowed.size > 0 && (origin === undefined || !allowed.has(origin))) {
      log('warn', 'origin.refused', { origin: origin ?? null, address: req.socket.remoteAddress });
      return refuseUpgrade(socket, '403 Forbidden');
    }
    const game = gameOf(req.url);
    if (game === null) {
      log('warn', 'ugi.refused', { address: req.socket.remoteAddress });
      return refuseUpgrade(socket, '400 Bad Request');
    }
    const address = clientAddress(req, options.trustProxy ?? false);
    const refused = admission.refusal(address);
    if (refused) metrics.tally.connectionsRefused += 1;
    if (refused && !refused.told) {
      // One refusal too many to tell: no upgrade, no log line (the flood itself is what they would cost).
      return refuseUpgrade(socket, '429 Too Many Requests', `Retry-After: ${refused.retryAfterSeconds ?? 1}\r\n`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Refused after the upgrade, so the client reads why in the close reason (a browser never sees an HTTP status).
      if (refused) {
        log('warn', 'connection.refused', { address, reason: refused.reason });
        return ws.close(CLOSE_TRY_LATER, refused.reason);
      }
      accept(ws, socket, game, address);
    });
  });

  // One set of socket listeners for every connection (`this` is the socket): per-socket closures
  // would cost memory on every one of thousands of idle connections.
  function onPong(this: WebSocket): void {
    playerOf(this).alive = true;
  }
  function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    incoming.completed(this);
    turnShare.offer(this, (this as SocketWithPlayer)[ADDRESS], bytes, isBinary);
  }
  function onClose(this: WebSocket, code: number): void {
    admission.closed((this as SocketWithPlayer)[ADDRESS]);
    incoming.forget(this);
    turnShare.forget(this);
    const player = playerOf(this);
    // A connection a RESUME replaced: the player lives on, on its new one.
    if (player.socket !== this) return;
    players.delete(player);
    if (player.evicted) return;
    if (player.cutBecause) log('warn', 'player.cut', { game: player.game, player: player.id, address: player.address, why: player.cutBecause });
    // Only a drop holds the seat: not a goodbye from the client, nor a close of ours (violation, shutdown).
    if (player.user && seats.enabled && !player.closedByServer && !DELIBERATE_CLOSE.has(code)) {
      player.detach();
      seats.hold(player).catch((error: unknown) => log('error', 'player.hold_failed', { player: player.id, error: String(error) }));
      log('info', 'player.held', { game: player.game, player: player.id, code, graceMs: seats.graceMs });
      return;
    }
    release(player, 'disconnected');
  }
  function onError(this: WebSocket, error: Error & { code?: string }): void {
    const player = playerOf(this);
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      // A frame above MAX_FRAME_BYTES: ws's close waits for this connection's turn (CloudLinkSocket).
      const ws = this as CloudLinkSocket;
      scheduleCut(ws, () => {
        metrics.tally.rejected.violation += 1;
        log('warn', 'violation.size', { player: player.id, address: player.address, limit: MAX_FRAME_BYTES });
        ws.cutTooBig();
      });
      return;
    }
    log('warn', 'socket.error', { player: player.id, error: error.message });
  }

  function accept(ws: WebSocket, socket: Duplex, game: string, address: string): void {
    const player = new Player(ws, game, new RateLimiter(rate), address, options.maxOutboxBytes, signalCredit);
    (ws as SocketWithPlayer)[PLAYER] = player;
    (ws as SocketWithPlayer)[ADDRESS] = address;
    admission.opened(address);
    admission.expectInit(player);
    players.add(player);
    ws.on('pong', onPong).on('message', onMessage).on('close', onClose).on('error', onError);
    incoming.watch(ws, socket);
    turnShare.watch(ws, socket, address);
    frameErrorsWithoutStack(ws);
  }

  // WebSocket-level liveness: a socket that missed a whole ping interval is dead. A round to 10,000
  // sockets is 0.3–1 s of work, so it runs in slices (sliced-loop.ts) with other requests between them.
  const pingOrTerminate = (player: Player): void => {
    if (!player.alive) {
      log('info', 'player.timeout', { player: player.id });
      player.socket.terminate();
      return;
    }
    player.alive = false;
    player.socket.ping();
  };
  let pingRound: SlicedLoop<Player> | undefined;
  const pinger = setInterval(() => {
    if (pingRound) return; // the last round is still going (it never should, for 30 s)
    pingRound = new SlicedLoop(players.values(), pingOrTerminate, PING_SLICE_MS, () => {
      pingRound = undefined;
    });
    pingRound.start();
  }, options.pingIntervalMs ?? 30_000);
  pinger.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host ?? '127.0.0.1';
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  log('info', 'server.listening', { host, port, ...(options.turn ? { turn: options.turn.urls } : {}) });

  const running: RunningServer = {
    url: `http://${hostForUrl}:${port}`,
    wsUrl: `ws://${hostForUrl}:${port}/`,
    port,
    store,
    metrics,
    connections: (game) => [...byId.values()].filter((player) => player.game === game),
    async drain(timeoutMs) {
      if (draining || closing) return running.close();
      draining = true;
      log('info', 'server.draining', { players: byId.size, timeoutMs });
      for (const player of [...players]) player.handOff(DRAIN_CLOSE.code, DRAIN_CLOSE.reason);
      // Each player resumed elsewhere is evicted from byId (cluster.ts); a held one waits here until then.
      const deadline = Date.now() + timeoutMs;
      while ((byId.size > 0 || players.size > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      log('info', 'server.drained', { left: byId.size });
      return running.close();
    },
    close() {
      closing ??= (async () => {
        clearInterval(pinger);
        pingRound?.stop();
        admission.stop();
        incoming.stop();
        turnShare.stop();
        cuts.stop();
        addressBudgets.stop();
        httpRequests.stop();
        passwordGuard.stop();
        announcer.stop();
        fanout.stop();
        seats.clear();
        // Every socket is told (1001) and its close handshake awaited, so the frames are flushed
        // before a CLI caller exits; sockets that do not answer promptly are cut.
        const closing = [...players];
        const sockets = closing.map((player) => player.socket);
        const allClosed = Promise.all(
          sockets.map(
            (socket) =>
              new Promise<void>((resolve) => {
                if (socket.readyState === socket.CLOSED) return resolve();
                socket.once('close', () => resolve());
              }),
          ),
        );
        for (const player of closing) player.close(1001, 'server shutting down');
        const force = setTimeout(() => {
          for (const socket of sockets) socket.terminate();
        }, 1000);
        await allClosed;
        clearTimeout(force);
        await Promise.all(releasing);
        await passwords.stop();
        await watch?.stop();
        await options.cluster?.stop();
        wss.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        log('info', 'server.closed', {});
      })();
      return closing;
    },
  };
  return running;
}
