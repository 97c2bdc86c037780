// MAKE_OFFER / MAKE_ANSWER / ICE: relayed only between members of one lobby, with `origin`
// stamped here so it cannot be forged. The payload (maybe ciphertext) passes through untouched.
import { Warning, type RelayedOpcode } from '../../protocol/index.js';
import { warn, type Handler } from './request.js';

export const relaySignal =
  (opcode: RelayedOpcode): Handler<RelayedOpcode> =>
  (request) => {
    const { player, recipient, payload } = request;
    const target = recipient === undefined ? undefined : player.lobby?.member(recipient);
    if (!target || target === player) return warn(request, Warning.peerInvalid);
    target.send(opcode, payload, { origin: player.user! });
  };
