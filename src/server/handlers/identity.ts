// INIT (who am I, in which game) and KEEPALIVE.
import { randomUUID } from 'node:crypto';
import { Warning } from '../../protocol/index.js';
import { turnCredentials } from '../turn.js';
import { reply, warn, type Handler } from './request.js';

export const init: Handler<'INIT'> = async (request) => {
  const { ctx, player, payload } = request;
  if (player.user || player.initializing) return warn(request, Warning.alreadyInitialized);
  if (ctx.store.usernameTaken(player.game, payload.username)) return warn(request, Warning.usernameTaken);

  const instanceId: string = randomUUID();
  let userId = instanceId;
  if (ctx.tokenVerifier && payload.token !== undefined) {
    player.initializing = true;
    const verify = ctx.tokenVerifier;
    // A verifier that throws (even synchronously) refuses the token; it never wedges this connection.
    const account = await Promise.resolve()
      .then(() => verify(payload.token!, payload.username))
      .catch((error: unknown) => {
        ctx.log('warn', 'token.verify_failed', { error: String(error) });
        return null;
      });
    player.initializing = false;
    if (!account) return warn(request, 'invalid token');
    userId = account.user_id;
    // The name may have been taken while the token was being checked.
    if (ctx.store.usernameTaken(player.game, payload.username)) return warn(request, Warning.usernameTaken);
  }
  if (!player.open) return;

  player.user = {
    instance_id: instanceId,
    user_id: userId,
    username: payload.username,
    ...(payload.pubkey ? { pubkey: payload.pubkey } : {}),
  };
  ctx.store.addPlayer(player);
  ctx.log('info', 'player.init', { game: player.game, player: instanceId, username: payload.username, e2ee: !!payload.pubkey });
  reply(request, 'INIT_OK', {
    instance_id: instanceId,
    user_id: userId,
    username: payload.username,
    ...(ctx.turn ? { ice_servers: [turnCredentials(ctx.turn, instanceId)] } : {}),
  });
};

export const keepalive: Handler<'KEEPALIVE'> = (request) => reply(request, 'KEEPALIVE_ACK', undefined);
