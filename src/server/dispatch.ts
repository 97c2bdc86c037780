// The edge: every frame is size-checked, rate-limited and validated here, once, then handed to
// its handler. Nothing a client sends can throw past this function or touch another client.
import {
  decodeClientPacket,
  MAX_FRAME_BYTES,
  ProtocolError,
  Reply,
  salvageEnvelope,
  Warning,
  type ClientOpcode,
  type ClientPacket,
} from '../protocol/index.js';
import type { ServerContext } from './context.js';
import { init, keepalive } from './handlers/identity.js';
import { createLobby, findLobby, joinLobby, leaveLobby, listLobbies } from './handlers/lobbies.js';
import { manageLobby } from './handlers/manage.js';
import { reply, warn, type Handler, type Request } from './handlers/request.js';
import { relaySignal } from './handlers/signals.js';
import type { Player } from './player.js';

const handlers: { [K in ClientOpcode]: Handler<K> } = {
  INIT: init,
  KEEPALIVE: keepalive,
  LIST_LOBBIES: listLobbies,
  FIND_LOBBY: findLobby,
  CREATE_LOBBY: createLobby,
  JOIN_LOBBY: joinLobby,
  LEAVE_LOBBY: leaveLobby,
  MANAGE_LOBBY: manageLobby,
  MAKE_OFFER: relaySignal('MAKE_OFFER'),
  MAKE_ANSWER: relaySignal('MAKE_ANSWER'),
  ICE: relaySignal('ICE'),
};

/** Requests whose ACK reports "invalid" when their payload is malformed (besides the WARNING). */
const invalidAck = { CREATE_LOBBY: 'CREATE_ACK', JOIN_LOBBY: 'JOIN_ACK', MANAGE_LOBBY: 'MANAGE_ACK' } as const;

export const VIOLATION_POLICY = 1008;
export const VIOLATION_TOO_BIG = 1009;

export function dispatch(ctx: ServerContext, player: Player, text: string, byteLength: number): void {
  if (byteLength > MAX_FRAME_BYTES) {
    ctx.log('warn', 'violation.size', { player: player.id, address: player.address, bytes: byteLength });
    return player.violation(`frame too large: ${byteLength} bytes (limit ${MAX_FRAME_BYTES})`, VIOLATION_TOO_BIG);
  }
  const verdict = player.limiter.take();
  if (verdict === 'violation') {
    ctx.log('warn', 'violation.rate', { player: player.id, address: player.address });
    return player.violation('too many packets: rate limit exceeded repeatedly', VIOLATION_POLICY);
  }

  let packet: ClientPacket;
  try {
    packet = decodeClientPacket(text);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const { opcode, listener } = salvageEnvelope(text);
    const request = { ctx, player, payload: undefined, listener } as Request<ClientOpcode>;
    warn(request, error.message);
    const ack = opcode !== undefined && Object.hasOwn(invalidAck, opcode) ? invalidAck[opcode as keyof typeof invalidAck] : null;
    if (ack) reply(request, ack, Reply.invalid);
    return;
  }

  const request = { ctx, player, payload: packet.payload, recipient: packet.recipient, listener: packet.listener } as Request<ClientOpcode>;
  if (verdict === 'limited') return warn(request, Warning.rateLimited);
  if (!player.user && packet.opcode !== 'INIT') return warn(request, Warning.notInitialized);

  const handler = handlers[packet.opcode] as Handler<ClientOpcode>;
  // Handlers run synchronously where they can, so replies keep the order of the requests.
  const failed = (error: unknown) => {
    // A bug of ours must not take the connection, or anyone else, down with it.
    ctx.log('error', 'handler.failed', { opcode: packet.opcode, player: player.id, error: String(error) });
    warn(request, `server error handling ${packet.opcode}`);
  };
  try {
    handler(request)?.catch(failed);
  } catch (error) {
    failed(error);
  }
}
