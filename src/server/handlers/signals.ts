// MAKE_OFFER / MAKE_ANSWER / ICE: relayed only between members of one lobby (or to the lobby's
// relay peer), with `origin` stamped here so it cannot be forged. The payload (maybe ciphertext)
// passes through untouched. A recipient held by another node (--redis) is reached through the
// cluster, whose script checks it is in the sender's lobby as it appends the signal.
import { SIGNAL_VOICE, Warning, type RelayedOpcode } from '../../protocol/index.js';
import { lobbyKey } from '../context.js';
import { warn, type Handler } from './request.js';

export const relaySignal =
  (opcode: RelayedOpcode): Handler<RelayedOpcode> =>
  (request) => {
    // `payload` is read only where it is used: a signal read from its bytes decodes it then (SignalRequest).
    const { ctx, player, recipient } = request;
    const lobby = player.lobby;
    if (!lobby || recipient === undefined) return warn(request, Warning.peerInvalid);
    const relay = ctx.relays.size === 0 ? undefined : ctx.relays.get(lobbyKey(player.game, lobby));
    if (relay?.user && ctx.relay && recipient === relay.user.instance_id) {
      // The relay carries data only (§5): a voice renegotiation must not reach (and reset) the member's relay link.
      const { payload } = request;
      if (payload.type === SIGNAL_VOICE) return warn(request, Warning.voiceNotRelayed);
      ctx.tally.signals += 1;
      return ctx.relay.signal(relay, player.user!, opcode, payload, player.address);
    }
    const target = ctx.players.get(recipient);
    if (!target && ctx.cluster && recipient !== player.id) return relayElsewhere(request, opcode);
    if (!target || target === player || target.lobby !== lobby || target.game !== player.game) return warn(request, Warning.peerInvalid);
    ctx.tally.signals += 1;
    target.relay(player, opcode, request);
  };

/**
 * A recipient this node does not hold: another node's player, or a relay peer another node runs. Not
 * awaited (the sender's next signals need not wait for Redis): appends keep their order on the one
 * connection, and a refusal comes back as a WARNING.
 */
function relayElsewhere(request: Parameters<Handler<RelayedOpcode>>[0], opcode: RelayedOpcode): void {
  const { ctx, player, recipient, bytes } = request;
  const signal = bytes ? player.signalFrameOf(bytes) : player.signalFrame(opcode, request.payload);
  // An offer takes its address along: a relay peer's node counts offers against the address's share
  // (relay-negotiations.ts); other signals need none, and most of them are ICE.
  const address = opcode === 'MAKE_OFFER' ? player.address : undefined;
  ctx.cluster!.append(recipient!, signal, { game: player.game, lobby: player.lobby!, address }).then(
    (answer) => {
      if (answer === 'gone' || answer === 'not-member') warn(request, Warning.peerInvalid);
      else ctx.tally.signals += 1;
    },
    (error: unknown) => {
      ctx.log('warn', 'cluster.signal_failed', { player: player.id, error: String(error) });
      warn(request, `server error handling ${opcode}: the shared store is unreachable`);
    },
  );
}
