// A validated request plus the means to answer it: replies carry the request's `listener`.
import type { ClientOpcode, ClientPayloads, ServerOpcode, ServerPayloads } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import type { Player } from '../player.js';

export interface Request<K extends ClientOpcode> {
  ctx: ServerContext;
  player: Player;
  payload: ClientPayloads[K];
  recipient?: string;
  listener?: string;
  /** The frame as received, when it holds nothing but opcode, payload and recipient (a signal can then be forwarded as it came). */
  frame?: string;
  /** `frame`'s bytes as they arrived (valid UTF-8: ws checked), so it can be forwarded without encoding it again. */
  bytes?: Buffer;
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
