// The relay process (dist/relay.mjs), forked by relay-process.ts: the lobbies' relay peers run here,
// on their own thread, heap and CPU priority, so a flood through a relay or a WebRTC stack that stalls
// or crashes never delays signalling. It speaks relay-ipc.ts with the server and exits with it.
import { RelayRefusal, type RelayedOpcode } from '../../protocol/index.js';
import { KeyedBuckets } from '../keyed-buckets.js';
import type { Logger } from '../log.js';
import { HEARTBEAT_MS, type FromRelayProcess, type RelayHandle, type ToRelayProcess } from './relay-ipc.js';
import type { RelayLimits } from './relay-limits.js';
import { RelayPeer } from './relay-peer.js';
import { RelayMembers } from './relay-members.js';

/** How often a member over its byte budget is told so (what is over it is dropped all the time). */
const WARN_EVERY_MS = 5000;

// A send that fails (the server just died: EPIPE) is dropped: the disconnect that follows ends this process.
const dropped = (): void => {};
const post = (message: FromRelayProcess): void => {
  if (process.connected) process.send?.(message, undefined, undefined, dropped);
};
const log: Logger = (level, event, fields = {}) => post({ t: 'log', level, event, fields });
const limits = JSON.parse(process.argv[2] ?? '{}') as Pick<RelayLimits, 'bytesPerSecond' | 'negotiations' | 'negotiationMs'>;

// The server went away (or closed the channel): so does its relay process, once WebRTC has let go of
// its links (exiting while it still answers for them can crash the exit: held-connection.ts).
process.on('disconnect', () => {
  const closing = [...lobbies.values()].map((lobby) => lobby.peer.destroy());
  lobbies.clear();
  void Promise.all(closing).then(() => process.exit(0));
});
// Ctrl-C reaches the whole process group: the server decides when its relay process stops.
process.on('SIGINT', () => {});

let wrtc: object;
try {
  wrtc = ((await import('@roamhq/wrtc')) as { default: object }).default;
} catch (error) {
  post({ t: 'unavailable', reason: `@roamhq/wrtc could not be loaded: ${String(error)}` });
  process.exit(0);
}

interface Lobby {
  peer: RelayPeer;
  members: RelayMembers;
  wide: boolean;
}
const lobbies = new Map<RelayHandle, Lobby>();
/**
 * wrtc frees a closed peer connection's threads and fds only when its object is collected, and an idle
 * process may not collect for a long time: 40 failing offers a second then held hundreds of threads.
 * So after connections closed, the next heartbeat collects (relay-process.ts runs this with --expose-gc),
 * or at once when as many were let go by WebRTC as may be negotiating at once: closed ones wait for at most that many.
 */
let connectionsDropped = 0;
const collect = (globalThis as { gc?: () => void }).gc;
/** Counted when WebRTC has let go of a closed connection (held-connection.ts): collecting earlier could not free it. */
function connectionReleased(): void {
  connectionsDropped += 1;
  // On the next turn: the closed connection is still referenced by the code that closed it.
  if (connectionsDropped === limits.negotiations) setImmediate(collectNow);
}
function collectNow(): void {
  if (!connectionsDropped) return;
  connectionsDropped = 0;
  collect?.();
}
const bytes = new KeyedBuckets(2 * limits.bytesPerSecond, limits.bytesPerSecond / 1000);
const warned = new KeyedBuckets(1, 1 / WARN_EVERY_MS);

function admit(lobby: RelayHandle, member: string, size: number): boolean {
  const now = Date.now();
  if (bytes.take(member, now, size)) return true;
  if (warned.take(member, now)) {
    log('warn', 'relay.limited', { member, limit: 'bytes per second', bytesPerSecond: limits.bytesPerSecond });
    post({ t: 'warn', lobby, member, text: RelayRefusal.bytes(limits.bytesPerSecond) });
  }
  return false;
}

function create(handle: RelayHandle, user: RelayPeer['user']): void {
  const members = new RelayMembers((id) => post({ t: 'ask', lobby: handle, id }));
  const lobby: Lobby = {
    members,
    wide: false,
    peer: new RelayPeer(
      user,
      (id) => members.isMember(id),
      () => lobby.wide,
      (to, opcode, payload) => post({ t: 'signal', lobby: handle, to, opcode, payload }),
      {
        wrtc,
        log,
        admit: (member, size) => admit(handle, member, size),
        openDeadlineMs: limits.negotiationMs,
        linkOpened: (member) => post({ t: 'opened', lobby: handle, member }),
        linkClosed: (member) => post({ t: 'closed', lobby: handle, member }),
        linkReleased: connectionReleased,
      },
    ),
  };
  lobbies.set(handle, lobby);
}

function heard(message: ToRelayProcess): void {
  if (message.t === 'create') return void create(message.lobby, message.user);
  const lobby = lobbies.get(message.lobby);
  if (!lobby) return;
  switch (message.t) {
    case 'signal':
      lobby.wide = message.wide;
      lobby.members.joined(message.from.instance_id);
      return void lobby.peer.signal(message.from, message.opcode as RelayedOpcode, message.payload);
    case 'member':
      // Not a member: what was held for that id goes.
      if (!lobby.members.answered(message.id, message.member)) lobby.peer.memberLeft(message.id);
      return;
    case 'left':
      lobby.members.left(message.member);
      return void lobby.peer.memberLeft(message.member);
    case 'destroy':
      lobbies.delete(message.lobby);
      return void lobby.peer.destroy();
  }
}

process.on('message', (message) => heard(message as ToRelayProcess));

const links = (): number => {
  let count = 0;
  for (const lobby of lobbies.values()) count += lobby.peer.memberLinks;
  return count;
};
setInterval(() => {
  post({ t: 'heartbeat', links: links() });
  collectNow();
  const now = Date.now();
  bytes.sweep(now);
  warned.sweep(now);
}, HEARTBEAT_MS);
post({ t: 'ready' });
