// Contract: the private parts of simple-peer that the WebRTC link (src/peer/link.ts) relies on:
//   `_pc`               the RTCPeerConnection, on which the link creates its negotiated named channels;
//   `_channel`          simple-peer's own data channel (the link's `default`), open at 'connect';
//   `_onChannelMessage` called for every message on that channel; the link replaces it on the instance
//                       to skip simple-peer's stream layer and to keep messages that arrive before 'connect'.
// Two real peers (@roamhq/wrtc) in this process, signals passed directly. simple-peer is pinned to an
// exact version in package.json; if an upgrade fails here, the link must change with it.
import { createRequire } from 'node:module';
import SimplePeer from 'simple-peer';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { wrtc } from '../helpers/wrtc.js';
import { releaseOf } from '../../src/peer/held-connection.js';

const version = (createRequire(import.meta.url)('simple-peer/package.json') as { version: string }).version;
const contract = (what: string) => `simple-peer ${version}: ${what} (src/peer/link.ts depends on it)`;

interface Internals {
  _pc: RTCPeerConnection;
  _channel: RTCDataChannel | null;
  _onChannelMessage: (event: MessageEvent) => void;
}
type Peer = SimplePeer.Instance & Internals;

const peers: Peer[] = [];
// Every peer in one turn, then until WebRTC has let go of them (docs/architecture.md, "Native WebRTC crashes in Node").
afterEach(async () => {
  const closing = peers.splice(0);
  const released = closing.map((peer) => releaseOf(peer._pc));
  for (const peer of closing) peer.destroy();
  await Promise.all(released);
});

/** Two peers made the way the link makes them, signalling each other directly. */
function pair(): [Peer, Peer] {
  const make = (initiator: boolean) =>
    new SimplePeer({
      initiator,
      wrtc: wrtc as unknown as SimplePeer.Options['wrtc'],
      config: { iceServers: [] },
      channelName: 'default',
      trickle: true,
    }) as Peer;
  const a = make(true);
  const b = make(false);
  peers.push(a, b);
  a.on('signal', (signal: SimplePeer.SignalData) => b.signal(signal));
  b.on('signal', (signal: SimplePeer.SignalData) => a.signal(signal));
  for (const peer of [a, b]) peer.on('error', () => {}); // a failure shows as a timeout with its reason below
  return [a, b];
}

const connected = (peer: Peer) => new Promise<void>((resolve) => peer.once('connect', () => resolve()));

describe(`simple-peer ${version} internals`, () => {
  it('`_pc` is the RTCPeerConnection, and negotiated channels created on it open on both sides', async () => {
    const [a, b] = pair();
    for (const peer of [a, b]) {
      expect(peer._pc, contract('`_pc` is set by the constructor')).toBeDefined();
      expect(peer._pc instanceof wrtc.RTCPeerConnection, contract('`_pc` is an RTCPeerConnection')).toBe(true);
    }
    await Promise.all([connected(a), connected(b)]);
    const open = (peer: Peer, label: string, id: number, ordered: boolean) => {
      const channel = peer._pc.createDataChannel(label, { negotiated: true, id, ordered, ...(ordered ? {} : { maxRetransmits: 0 }) });
      channel.binaryType = 'arraybuffer';
      const received: string[] = [];
      channel.onmessage = (event: MessageEvent) => received.push(String(event.data));
      return { channel, received };
    };
    const chatA = open(a, 'chat', 16, true);
    const chatB = open(b, 'chat', 16, true);
    const fastA = open(a, 'fast', 17, false);
    const fastB = open(b, 'fast', 17, false);
    expect(chatA.channel.id, contract('createDataChannel on `_pc` keeps the negotiated id')).toBe(16);
    expect(fastA.channel.ordered, contract('createDataChannel on `_pc` takes ordered: false')).toBe(false);
    expect(fastA.channel.maxRetransmits, contract('createDataChannel on `_pc` takes maxRetransmits')).toBe(0);
    await until(() => [chatA, chatB, fastA, fastB].every((c) => c.channel.readyState === 'open'), contract('negotiated channels on `_pc` open on both sides'));
    chatA.channel.send('hello on chat');
    chatB.channel.send('hello back');
    fastA.channel.send('fast hello');
    await until(
      () => chatB.received.length === 1 && chatA.received.length === 1 && fastB.received.length === 1,
      contract('negotiated channels on `_pc` carry messages'),
    );
    expect([chatB.received, chatA.received, fastB.received]).toEqual([['hello on chat'], ['hello back'], ['fast hello']]);
  });

  it("`_channel` is simple-peer's own channel (label `default`), open when 'connect' fires, and carries messages", async () => {
    const [a, b] = pair();
    const atConnect: { label?: string; state?: string; isChannel: boolean }[] = [];
    for (const peer of [a, b]) {
      peer.once('connect', () => {
        const channel = peer._channel;
        atConnect.push({ label: channel?.label, state: channel?.readyState, isChannel: channel instanceof wrtc.RTCDataChannel });
      });
    }
    const got: string[] = [];
    b._onChannelMessage = (event: MessageEvent) => got.push(String(event.data));
    await Promise.all([connected(a), connected(b)]);
    expect(atConnect, contract("`_channel` at 'connect' is an open RTCDataChannel labelled with channelName")).toEqual([
      { label: 'default', state: 'open', isChannel: true },
      { label: 'default', state: 'open', isChannel: true },
    ]);
    a._channel!.send('sent on _channel');
    await until(() => got.length === 1, contract('a message sent on `_channel` arrives'));
    expect(got).toEqual(['sent on _channel']);
  });

  it("`_onChannelMessage`, replaced on the instance, gets every default-channel message, also those sent at 'connect'", async () => {
    const [a, b] = pair();
    const inbox = new Map<Peer, string[]>([
      [a, []],
      [b, []],
    ]);
    const streamed: unknown[] = [];
    for (const peer of [a, b]) {
      // Replaced right after construction, as the link does (for the initiator, simple-peer has already set up its channel by then).
      peer._onChannelMessage = (event: MessageEvent) =>
        inbox.get(peer)!.push(typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data as ArrayBuffer));
      peer.on('data', (data: unknown) => streamed.push(data));
    }
    // Each side sends a burst the moment its own 'connect' fires: the other side may not have seen
    // its 'connect' yet, and must not lose them.
    const burst = (from: string) => Array.from({ length: 20 }, (_, i) => `${from} ${i}`);
    a.once('connect', () => {
      for (const text of burst('a')) a._channel!.send(text);
    });
    b.once('connect', () => {
      for (const text of burst('b')) b._channel!.send(text);
    });
    await Promise.all([connected(a), connected(b)]);
    // Once both sides are connected, a second burst (and a binary message) from each.
    const later = (from: string) => Array.from({ length: 20 }, (_, i) => `${from} later ${i}`);
    for (const text of later('a')) a._channel!.send(text);
    a._channel!.send(new TextEncoder().encode('binary from a'));
    for (const text of later('b')) b._channel!.send(text);
    await until(
      () => inbox.get(b)!.length === 41 && inbox.get(a)!.length === 40,
      contract('the replaced `_onChannelMessage` receives every message on the default channel'),
    );
    // simple-peer's part: every message reaches the replaced handler, exactly once.
    const sorted = (list: string[]) => [...list].sort();
    const once = contract('the replaced `_onChannelMessage` receives every message once');
    expect(sorted(inbox.get(b)!), once).toEqual(sorted([...burst('a'), ...later('a'), 'binary from a']));
    expect(sorted(inbox.get(a)!), once).toEqual(sorted([...burst('b'), ...later('b')]));
    // The order is the WebRTC implementation's. Once the channel is open on both sides, it is kept. The
    // burst sent at 'connect' may not be, with @roamhq/wrtc as the answerer (b): wrtc caches what
    // arrives on a channel the peer opened until its JavaScript object is made, and that object takes
    // what arrives meanwhile before the cache (node-webrtc's DataChannel constructor registers itself,
    // then re-queues the cache). Under load, 'a 15'…'a 19' came before 'a 0'…'a 14' (4 runs in 12).
    // Browsers keep the order: docs/architecture.md, "Message order at a link's open in Node".
    expect(inbox.get(b)!.slice(20), contract('messages sent once both sides are connected arrive in order')).toEqual([...later('a'), 'binary from a']);
    expect(inbox.get(a)!.slice(20), contract('messages sent once both sides are connected arrive in order')).toEqual(later('b'));
    expect(streamed, contract("with `_onChannelMessage` replaced, nothing reaches simple-peer's own 'data' stream")).toEqual([]);
  });
});
