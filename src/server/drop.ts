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
 * after those frames; ws's close timer (CLOSE_TIMEOUT_MS, set by its close()) destroys the socket. It is
 * not destroyed at once: with the client's bytes still unread in the kernel, that would reset the
 * connection, and a client still writing lost the frames before reading them (in incoming.test.ts 350 of
 * 1,000 attackers got no close frame once their cut came a few turns after they were last read). Waiting
 * used to cost memory (a paused socket still reads up to its highWaterMark: 1,000 violators +137 MiB);
 * with its handle stopped it reads nothing.
 */
export function dropAfterClose(ws: WebSocket): void {
  stopReading(ws);
  const socket = socketOf(ws);
  if (socket && !socket.destroyed) socket.end();
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
