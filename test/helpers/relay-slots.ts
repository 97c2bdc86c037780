// The relay's negotiation slots (src/server/relay/relay-negotiations.ts) as tests hold and count them:
// a real offer that holds one, the gauge that counts them, and a relay lobby whose host's slot is free.
import { wrtc } from './wrtc.js';
import type { CloudLinkClient } from '../../src/client/cloudlink.js';
import { until } from './until.js';
import { pollUntil } from './debian-service.js';
import type { ServerProcess } from './server-process.js';

/** A real offer whose side never answers nor sends a candidate: the relay peer answers it and waits for ICE that never comes. */
export async function stuckOffer(): Promise<{ type: 0; contents: { type: 'offer'; sdp: string | undefined } }> {
  const pc = new wrtc.RTCPeerConnection() as RTCPeerConnection;
  pc.createDataChannel('default');
  const { sdp } = await pc.createOffer();
  pc.close();
  return { type: 0, contents: { type: 'offer', sdp } };
}

/** The relay links a server counts as being set up (GET /metrics `cl5_relay_negotiations`); `url` is its ws:// URL. */
export async function negotiating(url: string): Promise<number> {
  const metrics = await (await fetch(new URL('/metrics', url.replace(/^ws/, 'http')))).text();
  return Number(/^cl5_relay_negotiations\{[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
}

/** Resolves once the server at `url` counts no relay link being set up; fails at once if `server` exited. */
export async function slotsFree(url: string, server: ServerProcess, what: string, timeoutMs: number): Promise<void> {
  const exited = () => (server.child.exitCode === null ? null : 'the server exited');
  await pollUntil(async () => (await negotiating(url)) === 0, exited, what, timeoutMs);
}

/**
 * `host` creates a relay lobby on the server at `url` and links to its relay peer; resolves with the relay
 * peer's id once the server has freed the host's slot again. That comes when the relay process reports
 * the link open, which may be after the host sees it open: until then one slot fewer is left for others.
 */
export async function hostRelayLobby(host: CloudLinkClient, name: string, url: string, server: ServerProcess): Promise<string> {
  await host.createLobby({ name, enableRelay: true });
  await until(() => host.mesh?.relayId != null, 'RELAY');
  const relay = host.mesh!.relayId!;
  await until(() => host.mesh?.link(relay)?.connected === true, 'the host linked to the relay', 30_000);
  await slotsFree(url, server, "the host's relay negotiation slot free", 20_000);
  return relay;
}
