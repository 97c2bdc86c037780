// MAKE_OFFER / MAKE_ANSWER / ICE: relayed only between members of one lobby (or to the lobby's
// relay peer), with `origin` stamped here so it cannot be forged. The payload (maybe ciphertext)
// passes through untouched.
import { SIGNAL_VOICE, Warning, type RelayedOpcode } from '../../protocol/index.js';
import { lobbyKey } from '../context.js';
import { warn, type Handler } from './request.js';

export const relaySignal =
  (opcode: RelayedOpcode): Handler<RelayedOpcode> =>
  (request) => {
    const { ctx, player, recipient, payload, frame } = request;
    const lobby = player.lobby;
    if (!lobby || recipient === undefined) return warn(request, Warning.peerInvalid);
    const relay = ctx.relays.size === 0 ? undefined : ctx.relays.get(lobbyKey(player.game, lobby));
    if (relay?.user && ctx.relay && recipient === relay.user.instance_id) {
      // The relay carries data only (§5): a voice renegotiation must not reach (and reset) the member's relay link.
      if (payload.type === SIGNAL_VOICE) return warn(request, Warning.voiceNotRelayed);
      ctx.tally.signals += 1;
      return ctx.relay.signal(relay, player.user!, opcode, payload);
    }
    const target = ctx.players.get(recipient);
    if (!target || target === player || target.lobby !== lobby || target.game !== player.game) return warn(request, Warning.peerInvalid);
    ctx.tally.signals += 1;
    target.relay(opcode, payload, player, frame);
  };
