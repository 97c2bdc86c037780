// Which STUN/TURN servers a peer link gets (docs/architecture.md, "ICE servers"):
//   - the project's own list when it set one (the blocks "add STUN/TURN server", "remove all ..."),
//     else the default public STUN list below;
//   - plus the TURN servers, with short-lived credentials, that the CL5 server handed out in INIT_OK.
// The default list is left out when the CL5 server itself is on this machine (loopback): then every
// player reaches it from here, and a public STUN server would only send packets off the machine. That
// keeps local play, and every test, free of outside traffic without a switch anyone has to remember.
import type { IceServer } from './api.js';

/** Public STUN servers (no account needed) that let players behind ordinary home NATs find each other. */
export const DEFAULT_STUN_SERVERS: readonly IceServer[] = [
  { urls: ['stun:stun.l.google.com:19302', 'stun:stun1.l.google.com:19302'] },
  { urls: 'stun:stun.cloudflare.com:3478' },
];

/** Is the CL5 server at this URL on this machine (localhost, 127.0.0.0/8, ::1)? An unreadable URL is not. */
export function isLoopbackServer(serverUrl: string): boolean {
  let host: string;
  try {
    host = new URL(serverUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The ICE servers for links opened now: the project's list (null: it set none, so the default STUN
 * list, unless the server is on loopback), then the ones the server handed out.
 */
export function iceServersFor(serverUrl: string, project: IceServer[] | null, fromServer: readonly IceServer[]): IceServer[] {
  const base = project ?? (isLoopbackServer(serverUrl) ? [] : DEFAULT_STUN_SERVERS);
  return [...base, ...fromServer];
}
