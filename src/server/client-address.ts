// Which address a connection counts against (per-address caps and budgets). Behind a reverse proxy
// every socket comes from the proxy, so the proxy's X-Forwarded-For is believed, but only when the
// operator says the proxy is there (--trust-proxy): a client could write the header itself.
import type { IncomingMessage } from 'node:http';

/**
 * The client's address: the socket's, or with `trustProxy` the last X-Forwarded-For entry (the one
 * the proxy in front of us appended; any entries before it came from the client and prove nothing).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const socketAddress = req.socket.remoteAddress ?? '';
  if (!trustProxy) return socketAddress;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  const last = forwarded[forwarded.length - 1]!.trim();
  return last === '' ? socketAddress : last;
}
