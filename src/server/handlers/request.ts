// A validated request plus the means to answer it: replies carry the request's `listener`.
import {
  decodeClientPacket,
  type ClientOpcode,
  type ClientPayloads,
  type RelayedOpcode,
  type ServerOpcode,
  type ServerPayloads,
} from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import type { Player } from '../player.js';

export interface Request<K extends ClientOpcode> {
  ctx: ServerContext;
  player: Player;
  payload: ClientPayloads[K];
  recipient?: string;
  listener?: string;
  /**
   * The frame as it arrived, when it holds nothing but opcode, payload and recipient (a signal can then be
   * forwarded as it came, without encoding it again): valid UTF-8 (ws checked).
   */
  bytes?: Buffer;
}

/**
 * A signal read from its bytes (readSignalFrame: checked, not parsed). Its payload is decoded only if a
 * handler reads it (the relay peer does); forwarding copies the bytes.
 */
export class SignalRequest implements Request<RelayedOpcode> {
  private decoded: ClientPayloads[RelayedOpcode] | undefined;

  constructor(
    readonly ctx: ServerContext,
    readonly player: Player,
    readonly opcode: RelayedOpcode,
    readonly recipient: string,
    readonly bytes: Buffer,
  ) {}

  get payload(): ClientPayloads[RelayedOpcode] {
    this.decoded ??= decodeClientPacket(this.bytes.toString('utf8')).payload as ClientPayloads[RelayedOpcode];
    return this.decoded;
  }
}

/** The fields that make a packet the reply to `request`: its listener, when it had one. */
export const replyFields = (request: Request<ClientOpcode>): { listener?: string } => (request.listener === undefined ? {} : { listener: request.listener });

export function reply<K extends ServerOpcode>(request: Request<ClientOpcode>, opcode: K, payload: ServerPayloads[K]): void {
  request.player.send(opcode, payload, replyFields(request));
}

export function warn(request: Request<ClientOpcode>, text: string): void {
  reply(request, 'WARNING', text);
}

export type Handler<K extends ClientOpcode> = (request: Request<K>) => void | Promise<void>;
