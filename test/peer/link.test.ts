// The WebRTC link (src/peer/link.ts) between two real @roamhq/wrtc peers in this process, signals
// handed over directly: what is sent on a named channel that is still opening is held, then sent first.
import { wrtc } from '../helpers/wrtc.js';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerLink } from '../../src/peer/link.js';
import { until } from '../helpers/until.js';

const links: PeerLink[] = [];
// Every link in one turn, then until WebRTC has let go of them (docs/architecture.md, "Native WebRTC crashes in Node").
afterEach(async () => {
  const closing = links.splice(0);
  for (const link of closing) link.destroy();
  await Promise.all(closing.map((link) => link.released));
});

function pair(): [PeerLink, PeerLink] {
  const make = (peerId: string, initiator: boolean, other: () => PeerLink) =>
    new PeerLink({ peerId, initiator, wrtc, config: { iceServers: [] }, onSignal: (signal) => other().signal(signal) });
  const a: PeerLink = make('b', true, () => b);
  const b: PeerLink = make('a', false, () => a);
  links.push(a, b);
  return [a, b];
}

describe('PeerLink', () => {
  it('holds messages sent on a channel that is still opening and sends them first, in order, once it opens', async () => {
    const [a, b] = pair();
    const received: string[] = [];
    b.on('data', (label, text) => label === 'chat' && received.push(text));
    // Created before the connection is up: both channels are opening, not open.
    a.addChannel('chat', 16, true);
    b.addChannel('chat', 16, true);
    expect(a.hasChannel('chat')).toBe(true);
    expect(a.channels.has('chat')).toBe(false);
    for (let i = 0; i < 5; i += 1) a.send('chat', `early ${i}`);
    await until(() => a.channels.has('chat'), 'chat open on a');
    a.send('chat', 'after open');
    await until(() => received.length === 6, 'every message on chat');
    expect(received).toEqual(['early 0', 'early 1', 'early 2', 'early 3', 'early 4', 'after open']);
  });

  it('refuses a channel that was never opened, and one that was closed (its held messages are dropped)', () => {
    const [a] = pair();
    expect(() => a.send('nope', 'x')).toThrow('channel "nope" to b is not open');
    a.addChannel('chat', 16, true);
    a.send('chat', 'held');
    a.removeChannel('chat');
    expect(() => a.send('chat', 'x')).toThrow('channel "chat" to b is not open');
  });
});
