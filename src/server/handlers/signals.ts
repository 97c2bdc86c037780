// MAKE_OFFER / MAKE_ANSWER / ICE: relayed only between members of one lobby (or to the lobby's
// relay peer), with `origin` stamped here so it cannot be forged. The payload (maybe ciphertext)
// passes through untouched.
import { SIGNAL_VOICE, Warning, type RelayedOpcode } from '../../protocol/index.js';
import { warn, type Handler } from './request.js';

export const relaySignal =
  (opcode: RelayedOpcode): Handler<RelayedOpcode> =>
  (request) => {
    const { ctx, player, recipient, payload, frame } = request;
    const lobby = player.lobby;
    if (!lobby || recipient === undefined) return warn(request, Warning.peerInvalid);
    if (lobby.relayUser && ctx.relay && recipient === lobby.relayUser.instance_id) {
      // The relay carries data only (§5): a voice renegotiation must not reach (and reset) the member's relay link.
      if (payload.type === SIGNAL_VOICE) return warn(request, Warning.voiceNotRelayed);
      return ctx.relay.signal(lobby, player.user!, opcode, payload);
    }
    const target = lobby.member(recipient);
    if (!target || target === player) return warn(request, Warning.peerInvalid);
    target.relay(opcode, payload, player, frame);
  };
