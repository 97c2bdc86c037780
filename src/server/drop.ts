// How the server lets go of a socket it closed. ws waits up to 30 s for the client to answer a close
// frame, reading (and discarding) whatever else it sends meanwhile; a hostile client never answers and
// can upload all that time. A violator is not waited for at all; anyone else for CLOSE_TIMEOUT_MS.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** How long the server waits for a client's answer to its close frame before cutting the socket (ws's closeTimeout). */
export const CLOSE_TIMEOUT_MS = 1000;

/**
 * After the server's last frames (VIOLATION, the close frame) were written: stops reading the socket
 * (what it still sends stays in the kernel), and destroys it as soon as those frames have reached the
 * kernel, so what it holds (up to a frame and a read buffer) is freed at once. A client that does not
 * read them at all is cut by the close timeout. Best effort: a client that reads gets the frames, but
 * one that goes on writing may see its write fail on the reset (the data we did not read) first. Waiting
 * a moment before destroying would let it read them, but a paused socket still reads up to its
 * highWaterMark meanwhile: 1,000 violators at once cost +137 MiB that way, +87–97 MiB destroyed at once.
 */
export function dropAfterClose(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (!socket || socket.destroyed) return;
  socket.pause();
  socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}
