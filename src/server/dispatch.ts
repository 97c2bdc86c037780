// The edge: every frame is rate-limited and validated here, once, then handed to its handler (ws
// closed any frame above MAX_FRAME_BYTES while it arrived: server.ts). Nothing a client sends can
// throw past this function or touch another client.
import { decodeClientPacket, ProtocolError, Reply, salvageEnvelope, Warning, type ClientOpcode, type ClientPacket } from '../protocol/index.js';
import { readSignalFrame } from '../protocol/signal-frame.js';
import type { ServerContext } from './context.js';
import { init, keepalive, resume } from './handlers/identity.js';
import { createLobby, findLobby, joinLobby, leaveLobbyHandler, listLobbies } from './handlers/lobbies.js';
import { manageLobby } from './handlers/manage.js';
import { quickJoin } from './handlers/matchmaking.js';
import { useRelay } from './handlers/relay.js';
import { reply, SignalRequest, warn, type Handler, type Request } from './handlers/request.js';
import { relaySignal } from './handlers/signals.js';
import type { Player } from './player.js';

const handlers: { [K in ClientOpcode]: Handler<K> } = {
  INIT: init,
  RESUME: resume,
  KEEPALIVE: keepalive,
  LIST_LOBBIES: listLobbies,
  FIND_LOBBY: findLobby,
  CREATE_LOBBY: createLobby,
  JOIN_LOBBY: joinLobby,
  LEAVE_LOBBY: leaveLobbyHandler,
  MANAGE_LOBBY: manageLobby,
  MAKE_OFFER: relaySignal('MAKE_OFFER'),
  MAKE_ANSWER: relaySignal('MAKE_ANSWER'),
  ICE: relaySignal('ICE'),
  USE_RELAY: useRelay,
  QUICK_JOIN: quickJoin,
};

/** Requests whose ACK reports "invalid" when their payload is malformed (besides the WARNING). */
const invalidAck = { CREATE_LOBBY: 'CREATE_ACK', JOIN_LOBBY: 'JOIN_ACK', MANAGE_LOBBY: 'MANAGE_ACK', QUICK_JOIN: 'QUICK_JOIN_ACK' } as const;

export const VIOLATION_POLICY = 1008;
/** A frame above MAX_FRAME_BYTES: ws closes it with this code while it arrives (server.ts). */
export const VIOLATION_TOO_BIG = 1009;

/** Handles one received WebSocket message. Limits are applied on arrival; handling is serial per player. */
export function dispatch(ctx: ServerContext, player: Player, data: Buffer, isBinary: boolean): void {
  // Frames still buffered after we started closing (violation, shutdown) or decided to are not acted upon.
  if (!player.open || player.closedByServer) return;
  // A signal a member owes a newcomer is the newcomer's doing: outside the member's limits (signal-credit.ts).
  // Telling needs the packet read, so then it is decoded before the limits, once.
  let decoded = player.credit.held && !isBinary ? decode(ctx, player, data) : undefined;
  const credited = decoded !== undefined && creditedFor(player, decoded);
  let verdict = credited ? 'ok' : player.limiter.take();
  if (verdict === 'ok' && !credited && !ctx.addressBudgets.take(player.address)) verdict = player.limiter.strike();
  if (verdict === 'violation') return void ctx.cut(player, 'violation.rate', 'too many packets: rate limit exceeded repeatedly', VIOLATION_POLICY);
  if (verdict === 'limited') {
    ctx.tally.rejected.rate_limited += 1;
    // Not decoded: a flood costs us as little as possible. A request (it has a listener) is answered,
    // so its sender's wait ends; other refusals at most once a second (RateLimiter.warnNow).
    const text = isBinary ? '' : data.toString('utf8');
    const listener = text.includes('"listener"') ? salvageEnvelope(text).listener : undefined;
    if (listener === undefined && !player.limiter.warnNow()) return;
    const request = { ctx, player, payload: undefined, listener } as Request<ClientOpcode>;
    return void player.serial(() => warn(request, Warning.rateLimited));
  }
  if (isBinary) {
    ctx.tally.rejected.invalid += 1;
    return void player.serial(() => player.send('WARNING', 'binary frames are not supported: send JSON text'));
  }

  decoded ??= decode(ctx, player, data);
  if (decoded instanceof Unreadable) {
    const { error, text } = decoded;
    // Only ProtocolErrors are expected; anything else is still the client's bad packet, never a crash.
    if (!(error instanceof ProtocolError)) ctx.log('warn', 'decode.failed', { player: player.id, error: String(error) });
    ctx.tally.rejected.invalid += 1;
    const reason = error instanceof ProtocolError ? error.message : 'packet could not be read';
    return void player.serial(() => refuse(ctx, player, text, reason));
  }
  const { opcode } = decoded;
  const request = decoded instanceof SignalRequest ? decoded : packetRequest(ctx, player, decoded, data);
  if (player.serial(() => handle(opcode, request))) return;
  ctx.tally.rejected.busy += 1;
  warn(request, BUSY);
}

type Decoded = SignalRequest | (ClientPacket & { bare: boolean }) | Unreadable;

/** A packet that failed to decode, and why (a value, so decoding early for the credit can keep it). */
class Unreadable {
  constructor(
    readonly error: unknown,
    readonly text: string,
  ) {}
}

/** A signal in the usual shape is read from its bytes (signal-frame.ts); anything else is decoded from its text. */
function decode(ctx: ServerContext, player: Player, data: Buffer): Decoded {
  const signal = readSignalFrame(data);
  // Its recipient is printable ASCII: latin1 is the cheapest exact decoding.
  if (signal) return new SignalRequest(ctx, player, signal.opcode, data.toString('latin1', signal.recipientStart, signal.recipientEnd), data);
  const text = data.toString('utf8');
  try {
    return decodeClientPacket(text);
  } catch (error) {
    return new Unreadable(error, text);
  }
}

function creditedFor(player: Player, decoded: Decoded): boolean {
  return !(decoded instanceof Unreadable) && player.credit.use(decoded.opcode, decoded.recipient);
}

/** The request of a packet decoded from its text; a bare one keeps its bytes, to be forwarded as they came. */
function packetRequest(ctx: ServerContext, player: Player, packet: ClientPacket & { bare: boolean }, data: Buffer): Request<ClientOpcode> {
  const { payload, recipient, listener } = packet;
  const bytes = packet.bare && listener === undefined ? data : undefined;
  return { ctx, player, payload, recipient, listener, bytes } as Request<ClientOpcode>;
}

/** What a connection may send before it is initialized. */
const BEFORE_INIT = new Set<ClientOpcode>(['INIT', 'RESUME', 'KEEPALIVE']);

const BUSY = 'server busy with your earlier requests: slow down';

/** A packet that failed validation: WARNING with the reason, plus an "invalid" ACK where the request has one. */
function refuse(ctx: ServerContext, player: Player, text: string, reason: string): void {
  const { opcode, listener } = salvageEnvelope(text);
  const request = { ctx, player, payload: undefined, listener } as Request<ClientOpcode>;
  warn(request, reason);
  const ack = opcode !== undefined && Object.hasOwn(invalidAck, opcode) ? invalidAck[opcode as keyof typeof invalidAck] : null;
  if (ack) reply(request, ack, Reply.invalid);
}

function handle(opcode: ClientOpcode, request: Request<ClientOpcode>): void | Promise<void> {
  const { player } = request;
  if (!player.open) return;
  // KEEPALIVE too: upstream clients send it before INIT and stop their keepalive loop if it goes unanswered.
  if (!player.user && !BEFORE_INIT.has(opcode)) return warn(request, Warning.notInitialized);
  try {
    const pending = (handlers[opcode] as Handler<ClientOpcode>)(request);
    // A closure only for the handlers that wait (a signal's does not).
    return pending?.catch((error: unknown) => failed(opcode, request, error));
  } catch (error) {
    failed(opcode, request, error);
  }
}

/** A bug of ours must not take the connection, or anyone else, down with it. */
function failed(opcode: ClientOpcode, request: Request<ClientOpcode>, error: unknown): void {
  request.ctx.log('error', 'handler.failed', { opcode, player: request.player.id, error: String(error) });
  warn(request, `server error handling ${opcode}`);
}
