// INIT (who am I, in which game) and KEEPALIVE.
import { randomUUID } from 'node:crypto';
import { encodePacket, Warning } from '../../protocol/index.js';
import { turnCredentials } from '../turn.js';
import type { Account, TokenVerifier } from '../context.js';
import { addGuest } from '../guest-names.js';
import { checkAccount } from '../token-verifier.js';
import type { Cluster } from '../cluster/cluster.js';
import { releaseRecord } from '../membership.js';
import { reply, replyFields, warn, type Handler, type Request } from './request.js';

export const init: Handler<'INIT'> = async (request) => {
  const { ctx, player, payload } = request;
  if (player.user || player.initializing) return warn(request, Warning.alreadyInitialized);
  const kind = payload.token !== undefined ? 'token' : 'credential';
  const secret = payload.token ?? payload.credential;
  if (payload.username === undefined && secret === undefined) return warn(request, Warning.initNeedsIdentity);
  const instanceId: string = randomUUID();
  let account: Account | null = null;
  if (ctx.tokenVerifier && secret !== undefined) {
    player.initializing = true;
    account = await verify(request, ctx.tokenVerifier, secret, kind);
    player.initializing = false;
    if (!account) return warn(request, Warning.invalidToken);
  }
  if (!player.open) return;

  // The account's own name wins (the verifier vouches for it), then the one asked for, else a guest name.
  const wanted = account?.username ?? payload.username;
  const base = { instance_id: instanceId, user_id: account?.user_id ?? instanceId, ...(payload.pubkey ? { pubkey: payload.pubkey } : {}) };
  // Several nodes: this node holds the player before any other node can see it in the store (the two
  // commands go out in this order on one connection, in one round trip).
  const registered = ctx.cluster?.register(player, instanceId);
  const forget = () => ctx.cluster?.unregister(instanceId, player);
  // The store claims the name (the one place a taken name is refused: it may be taken while the token is
  // being checked, or by another node); null: taken.
  const claimed =
    wanted === undefined
      ? addGuest(ctx.store, player.game, base)
      : ctx.store.addPlayer(player.game, { ...base, username: wanted }).then((added) => (added === 'ok' ? wanted : null));
  const [registering, claiming] = await Promise.allSettled([registered, claimed]);
  if (registering.status === 'rejected' || claiming.status === 'rejected') {
    await forget()?.catch(() => {});
    if (claiming.status === 'fulfilled' && claiming.value !== null) await ctx.store.removePlayer(player.game, instanceId).catch(() => {});
    throw registering.status === 'rejected' ? registering.reason : (claiming as PromiseRejectedResult).reason;
  }
  const username = claiming.value;
  if (username === null || !player.open) {
    await forget();
    if (username === null) return warn(request, Warning.usernameTaken);
    // Gone meanwhile: its close found no user to release.
    return void (await ctx.store.removePlayer(player.game, instanceId));
  }
  const user = { ...base, username };
  player.user = user;
  ctx.players.set(instanceId, player);
  const token = await ctx.seats.issue(player);
  ctx.log('info', 'player.init', { game: player.game, player: instanceId, username, e2ee: !!payload.pubkey, guest: wanted === undefined });
  reply(
    request,
    'INIT_OK',
    withToken(
      {
        instance_id: instanceId,
        user_id: user.user_id,
        username,
        ...(ctx.turn ? { ice_servers: [turnCredentials(ctx.turn, instanceId)] } : {}),
      },
      token,
    ),
  );
  // A notice, not a refusal (no listener: the INIT succeeded): the token meant nothing here.
  if (!ctx.tokenVerifier && secret !== undefined && payload.username === undefined) player.send('WARNING', Warning.tokenNotChecked);
};

/** Runs the verifier; one that throws (even synchronously) or answers nonsense refuses the token, it never wedges this connection. */
function verify(request: Request<'INIT'>, verifier: TokenVerifier, secret: string, kind: 'token' | 'credential'): Promise<Account | null> {
  return Promise.resolve()
    .then(() => verifier(secret, request.payload.username, kind))
    .then(checkAccount)
    .catch((error: unknown) => {
      request.ctx.log('warn', 'token.verify_failed', { error: String(error) });
      return null;
    });
}

/**
 * RESUME: a new connection takes back a seat held after a drop. RESUME_OK comes first (with the next
 * token), then everything the seat missed while away, in order; the lobby never saw the player leave.
 */
export const resume: Handler<'RESUME'> = async (request) => {
  const { ctx, player, payload } = request;
  if (player.user || player.initializing) return warn(request, Warning.alreadyInitialized);
  if (ctx.cluster) return resumeInCluster(request, ctx.cluster);
  const claimed = await ctx.seats.claim(payload.token, player.game);
  const held = claimed?.player;
  // The new connection closed while the seat was being claimed: its token is spent, so nobody can take it back.
  if (!player.open) return void (held && ctx.seats.release(held, 'the resuming connection closed'));
  const missed = held?.missedAfter(payload.received);
  if (!held?.user || !missed) {
    ctx.tally.resumesRefused += 1;
    ctx.log('info', 'player.resume_refused', { game: player.game, address: player.address, gap: !!held });
    // Resuming with a gap would be worse than starting again: the lobby state would silently differ.
    if (held) ctx.seats.release(held, 'missed more than the server keeps while away');
    return warn(request, Warning.sessionExpired);
  }
  const { instance_id, user_id, username } = held.user;
  const ok = withToken({ instance_id, user_id, username }, claimed!.token);
  ctx.adopt(player, held, encodePacket({ opcode: 'RESUME_OK', payload: ok, ...replyFields(request) }), missed);
  ctx.tally.resumes += 1;
  ctx.log('info', 'player.resume', { game: held.game, player: instance_id, missed: missed.length });
};

/**
 * RESUME with several nodes: the seat may be held by this node, by another (a takeover of a
 * half-open connection), or by a node that died or is draining. The frames the client missed come
 * from the player's log in Redis, whichever node sent them; a gap there refuses the resume.
 */
async function resumeInCluster(request: Request<'RESUME'>, cluster: Cluster): Promise<void> {
  const { ctx, player, payload } = request;
  const refuse = () => {
    ctx.tally.resumesRefused += 1;
    ctx.log('info', 'player.resume_refused', { game: player.game, address: player.address });
    warn(request, Warning.sessionExpired);
  };
  const resumed = await ctx.store.resumeSeat(player.game, payload.token);
  if (!resumed) return refuse();
  const id = resumed.user.instance_id;
  const lobby = (await ctx.store.lobbyOf(player.game, id))?.name ?? null;
  const found = await cluster.takeOver(id, payload.received);
  const local = ctx.players.get(id);
  if (local) ctx.seats.forget(local);
  // This node holds the seat now: a refused (or abandoned) resume releases it here.
  const release = (why: string) => (local ? ctx.seats.release(local, why) : releaseRecord(ctx, player.game, id, why));
  if (!player.open) return void release('the resuming connection closed');
  // Its seat is in the store but its frames' record is not (released meanwhile): nothing to resume.
  if (found === 'gone') {
    release('its record is gone');
    return refuse();
  }
  if (found === 'gap') {
    // Resuming with a gap would be worse than starting again: the lobby state would silently differ.
    release('missed more than the server keeps while away');
    return refuse();
  }
  const { instance_id, user_id, username } = resumed.user;
  const opening = encodePacket({ opcode: 'RESUME_OK', payload: withToken({ instance_id, user_id, username }, resumed.token), ...replyFields(request) });
  let held = local;
  if (held) ctx.adopt(player, held, opening, found.frames);
  else {
    held = player;
    player.user = resumed.user;
    player.lobby = lobby;
    ctx.players.set(id, player);
    player.attach(player.socket, player.address, opening, found.frames);
  }
  cluster.resumed(held, id, found.seq);
  ctx.tally.resumes += 1;
  ctx.log('info', 'player.resume', { game: player.game, player: id, missed: found.frames.length, from: local ? 'this node' : 'another node' });
}

const withToken = <T extends object>(session: T, token: string | undefined) => (token === undefined ? session : { ...session, resume_token: token });

export const keepalive: Handler<'KEEPALIVE'> = (request) => reply(request, 'KEEPALIVE_ACK', undefined);
