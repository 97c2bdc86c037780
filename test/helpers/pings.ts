// For the ping tests: counting the PINGs a client receives, and a barrier proving every PING one
// client sent another before it has arrived.
import type { CloudLinkClient } from '../../src/client/cloudlink.js';
import { until } from './until.js';

/** Counts the PINGs `client` receives on its current connection; gives the count from one sender id. */
export function pingsReceived(client: CloudLinkClient): (from: string) => number {
  const counts = new Map<string, number>();
  client.mesh!.on('packet', (from, _channel, packet) => {
    if (packet.opcode === 'PING') counts.set(from, (counts.get(from) ?? 0) + 1);
  });
  return (from) => counts.get(from) ?? 0;
}

let markers = 0;
/**
 * Sends `to` a private message on `default` and waits for it. The channel is ordered, and PINGs
 * leave on it too: once the marker is in, nothing `from` sent `to` before can still be on the way.
 */
export async function drained(from: CloudLinkClient, to: CloudLinkClient): Promise<void> {
  const marker = `drained ${++markers}`;
  let seen = false;
  const off = to.on('message', (m) => {
    if (m.from === from.myId && m.payload === marker) seen = true;
  });
  try {
    from.sendPrivate(to.myId, marker);
    await until(() => seen, `${marker} at ${to.myUsername}`);
  } finally {
    off();
  }
}
