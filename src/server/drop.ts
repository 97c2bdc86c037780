// How the server lets go of a socket it closed. ws waits up to 30 s for the client to answer a close
// frame, reading (and discarding) whatever else it sends meanwhile; a hostile client never answers and
// can upload all that time. A violator is read no further at all; anyone else is waited for CLOSE_TIMEOUT_MS.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** How long the server waits for a client's answer to its close frame before cutting the socket (ws's closeTimeout). */
export const CLOSE_TIMEOUT_MS = 1000;

/**
 * After the server's last frames (VIOLATION, the close frame) were written: stops reading the socket at
 * once (what the client still sends stays in the kernel's buffers, not in our memory) and ends the stream
 * after those frames; the socket is destroyed CLOSE_TIMEOUT_MS later, a few a turn (paced below). It is
 * not destroyed at once: with the client's bytes still unread in the kernel, that would reset the
 * connection, and a client still writing lost the frames before reading them (in incoming.test.ts 350 of
 * 1,000 attackers got no close frame once their cut came a few turns after they were last read). Waiting
 * used to cost memory (a paused socket still reads up to its highWaterMark: 1,000 violators +137 MiB);
 * with its handle stopped it reads nothing.
 */
export function dropAfterClose(ws: WebSocket): void {
  stopReading(ws);
  const socket = socketOf(ws);
  if (!socket || socket.destroyed) return;
  socket.end();
  // ws's own close timer would destroy it at the deadline too, but all at once: 1,000 violators cut
  // within a few hundred ms came due in one timers phase, a 56 ms turn of fds closed and players released.
  clearTimeout((ws as unknown as { _closeTimer?: ReturnType<typeof setTimeout> })._closeTimer);
  destroyLater(socket);
}

/** Sockets destroyed per event-loop turn once their deadline came: each costs its fd's close and its player's release (~0.1 ms). */
export const DESTROYS_PER_TURN = 16;

/** Sockets to destroy, in deadline order (one timeout for all: a queue keeps them sorted); `closing[next..]` still wait. */
let closing: { socket: ReadableSocket; due: number }[] = [];
let next = 0;
let armed = false;

function destroyLater(socket: ReadableSocket): void {
  closing.push({ socket, due: performance.now() + CLOSE_TIMEOUT_MS });
  if (!armed) arm(CLOSE_TIMEOUT_MS);
}

/**
 * Destroys the next socket(s) in `ms`, always from an immediate: one batch a turn (an immediate scheduled by
 * a timer would run in the same turn as it). Not a reason to keep the process alive.
 */
function arm(ms: number): void {
  armed = true;
  if (ms > 0) setTimeout(() => setImmediate(destroyDue).unref(), ms).unref();
  else setImmediate(destroyDue).unref();
}

function destroyDue(): void {
  armed = false;
  const now = performance.now();
  let destroyed = 0;
  while (next < closing.length && destroyed < DESTROYS_PER_TURN && closing[next]!.due <= now) {
    const { socket } = closing[next]!;
    next += 1;
    if (socket.destroyed) continue; // the client closed it meanwhile, or the server stopped
    socket.destroy();
    destroyed += 1;
  }
  if (next === closing.length) {
    closing = [];
    next = 0;
    return;
  }
  // Under a steady stream of cuts the queue never empties: what was destroyed is let go of now and then.
  if (next >= 1024 && next * 2 >= closing.length) {
    closing = closing.slice(next);
    next = 0;
  }
  arm(Math.max(0, closing[next]!.due - now));
}

type ReadableSocket = Socket & { _handle?: { reading: boolean; readStop(): number; readStart(): number } | null };
const socketOf = (ws: WebSocket): ReadableSocket | undefined => (ws as unknown as { _socket?: ReadableSocket })._socket;

/**
 * Pauses the socket and stops its handle reading at once. socket.pause() alone lets libuv read one
 * more chunk (up to 64 KiB), kept in the stream's buffer. `_handle.reading` is the flag net.Socket
 * itself keeps for readStart/readStop (a later resume() starts reading again).
 */
export function stopReading(ws: WebSocket): void {
  const socket = socketOf(ws);
  if (!socket || socket.destroyed) return;
  socket.pause();
  const handle = socket._handle;
  if (handle?.reading) {
    handle.reading = false;
    handle.readStop();
  }
}

/**
 * Starts a socket stopped by stopReading reading again (turn-share.ts). resume() alone may not: the
 * stream starts its handle only from a read it has not asked for yet, and one asked before the stop
 * still counts as pending. A socket ws keeps paused (its receiver full) stays paused.
 */
export function startReading(ws: WebSocket): void {
  ws.resume();
  const socket = socketOf(ws);
  const handle = socket?._handle;
  if (!socket || socket.destroyed || !socket.readableFlowing || !handle || handle.reading) return;
  handle.reading = true;
  if (handle.readStart() !== 0) socket.destroy(new Error('could not read from the socket again'));
}
