// A flooding game, run as its own process (bundled by relayFlooder below): two players in a relay
// lobby of game `flood`; one sends G_MSG packets of `size` bytes through the relay peer as fast as its
// link takes them (at most ~1 MiB waiting in the channel) for `seconds`. Prints JSON lines: {ready}
// once both are linked to the relay, then {sent, received, seconds}. Own process: the flood's own CPU
// (encoding, WebRTC) must not slow the test process that measures the bystander.
import { wrtc } from './wrtc.js';
import WebSocket from 'ws';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { encodePeerMessage } from '../../src/protocol/index.js';

const [url = '', seconds = '5', size = '16000'] = process.argv.slice(2);
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`flooder: timed out waiting for ${what}`);
    await pause(20);
  }
}

async function player(username: string): Promise<CloudLinkClient> {
  const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0 });
  client.on('error', () => {}); // the relay's byte-limit WARNINGs, when a test sets one
  await client.connect({ url, username, ugi: 'flood' });
  return client;
}

const sender = await player('flooder');
const sink = await player('sink');
let received = 0;
sink.on('message', () => (received += 1));
// A name of its own: an earlier flooder's lobby may still be there (its seats held for a resume).
const name = `flood ${process.pid}`;
await sender.createLobby({ name, enableRelay: true });
await until(() => sender.mesh?.relayId != null, 'RELAY');
await sink.joinLobby(name);
await until(() => sender.isPeerConnected(sink.myId) && sink.isPeerConnected(sender.myId), 'both linked to the relay');
print({ ready: true });

const link = sender.mesh!.link(sender.mesh!.relayId!)!;
const channel = link.channels.get('default')!;
const text = encodePeerMessage([{ opcode: 'G_MSG', payload: 'x'.repeat(Number(size)) }]);
const started = Date.now();
const end = started + Number(seconds) * 1000;
let sent = 0;
while (Date.now() < end) {
  if (channel.bufferedAmount < 1 << 20) {
    link.send('default', text);
    sent += text.length;
  } else await pause(2);
  if (sent % (16 * text.length) === 0) await new Promise((resolve) => setImmediate(resolve));
}
await pause(500);
print({ sent, received, seconds: (Date.now() - started) / 1000 });
sender.disconnect();
sink.disconnect();
process.exit(0);
