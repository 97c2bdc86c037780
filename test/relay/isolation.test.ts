// The relay peers run in their own process (relay-process.ts), apart from signalling, with limits.
// Against a real server process (dist's layout: server.mjs forks relay.mjs), real WebRTC, loopback:
// a data flood through one game's relay does not slow another game's signalling; a flood of failing
// offers leaves threads and fds bounded and they come back; each limit is refused with its reason;
// the relay process killed, signalling goes on and relay lobbies get a new relay peer.
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { wrtc } from '../helpers/wrtc.js';
import { closeAll, disconnectAll } from '../helpers/disconnect-all.js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import { RelayRefusal, Warning } from '../../src/protocol/index.js';
import { NEGOTIATION_GRACE_MS } from '../../src/server/relay/relay-negotiations.js';
import { HEARTBEAT_MS } from '../../src/server/relay/relay-ipc.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { children, cpuMs, held, type Held } from '../helpers/proc-counts.js';
import { bundleFlooder, type Flooder } from '../helpers/relay-flood.js';
import { bundleServer, printedWsUrl, waitFor, type ServerBundle, type ServerProcess } from '../helpers/server-process.js';
import { lobby as meshLobby, player as meshPlayer, type Player as MeshPlayer } from '../mesh/players.js';
import { until } from '../helpers/until.js';
import { cutCandidates } from '../helpers/cut-candidates.js';
import { RelayedPair } from '../helpers/relayed-pair.js';
import { hostRelayLobby, negotiating, slotsFree, stuckOffer } from '../helpers/relay-slots.js';
import { RawClient } from '../server/helpers.js';

let bundle: ServerBundle;
let flooder: Flooder;

beforeAll(async () => {
  [bundle, flooder] = await Promise.all([bundleServer(), bundleFlooder()]);
}, 60_000);

afterAll(() => {
  flooder?.dispose();
  bundle?.dispose();
});

interface Running {
  process: ServerProcess;
  url: string;
  pid: number;
  /** The relay process's pid (the server's one child). */
  relayPid(): Promise<number>;
}

async function serve(args: string[]): Promise<Running> {
  const process = bundle.run(['--port', '0', ...args]);
  const url = await printedWsUrl(process);
  const pid = process.child.pid!;
  return { process, url, pid, relayPid: () => waitFor(() => children(pid)[0], 'the relay process') };
}

async function stop(server: Running): Promise<void> {
  server.process.child.kill('SIGTERM');
  await server.process.exited;
}

const rawPlayer = async (url: string, game: string, username: string, localAddress?: string): Promise<RawClient> => {
  const client = await RawClient.open(`${url}?ugi=${game}`, { localAddress });
  await client.request('INIT', { username }, 'INIT_OK');
  return client;
};

const lobby = (name: string) => ({ name, max_players: -1, password: '', locked: false, enable_relay: true });

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** KEEPALIVE round trips of a bystander (another game), one every ~60 ms, while `busy` says so (at least `min`). */
async function roundTrips(bystander: RawClient, min: number, busy: () => boolean = () => false): Promise<number[]> {
  const samples: number[] = [];
  while (samples.length < min || (busy() && samples.length < 1000)) {
    const sent = performance.now();
    await bystander.request('KEEPALIVE', undefined, 'KEEPALIVE_ACK');
    samples.push(performance.now() - sent);
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
  return samples;
}

/**
 * `count` KEEPALIVE round trips of a bystander in a process of its own (another game): the test process
 * also runs the players' WebRTC, and closing their links when a relay goes can hold its thread for a
 * moment (a loaded run measured 742 ms here, where the server answered in time).
 */
async function probeRoundTrips(url: string, count: number): Promise<number[]> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../helpers/keepalive-probe.mjs', import.meta.url)), url, 'bystander', String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`keepalive probe exited with ${code}`);
  return (JSON.parse(out) as { rtts: number[] }).rtts;
}

/** The longest the test process's own event loop was held while `work` ran (ms). */
async function ownLoopHeld<T>(work: () => Promise<T>): Promise<[T, number]> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    return [await work(), delay.max / 1e6];
  } finally {
    delay.disable();
  }
}

const figures = (samples: number[]) => ({ n: samples.length, p50: +quantile(samples, 0.5).toFixed(1), p99: +quantile(samples, 0.99).toFixed(1) });

async function player(
  url: string,
  game: string,
  username: string,
  options: { connectTimeoutMs?: number } = {},
): Promise<{ client: CloudLinkClient; warnings: string[]; messages: unknown[] }> {
  const client = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, wrtc, keepaliveMs: 0, ...options });
  const warnings: string[] = [];
  const messages: unknown[] = [];
  client.on('error', (error) => warnings.push(error.message));
  client.on('message', (m) => messages.push(m.payload));
  await client.connect({ url, username, ugi: game });
  return { client, warnings, messages };
}

describe('the relay process, with the default limits (and no byte limit to speak of)', () => {
  let server: Running;
  let bystander: RawClient;
  /** A server with no relay traffic, and its bystander: what the shared machine itself allows. */
  let control: Running;
  let controlBystander: RawClient;

  beforeAll(async () => {
    [server, control] = await Promise.all([serve(['--relay-kib-per-second', String(1024 * 1024)]), serve([])]);
    bystander = await rawPlayer(server.url, 'bystander', 'by');
    controlBystander = await rawPlayer(control.url, 'bystander', 'by');
  }, 30_000);

  afterAll(async () => {
    bystander?.ws.terminate();
    controlBystander?.ws.terminate();
    await Promise.all([server && stop(server), control && stop(control)]);
  });

  /**
   * One flood of `seconds`: the bystander's round trips on this server, and meanwhile those of a
   * control bystander on a server with no relay traffic (the machine is shared: when the control
   * cannot get answers within 50 ms either, the window says nothing about the relay).
   */
  async function floodWindow(seconds: number) {
    const relayPid = await server.relayPid();
    const flood = flooder.run(server.url, seconds, 16_000);
    await waitFor(() => flood.lines().find((line) => line.ready), 'the flooder linked', 30_000);
    const relayCpu = cpuMs(relayPid);
    const serverCpu = cpuMs(server.pid);
    const started = performance.now();
    let flooding = true;
    void flood.exited.then(() => (flooding = false));
    const [loaded, control] = await Promise.all([roundTrips(bystander, 50, () => flooding), roundTrips(controlBystander, 50, () => flooding)]);
    const elapsed = (performance.now() - started) / 1000;
    const done = flood.lines().find((line) => 'sent' in line)!;
    return {
      flood: figures(loaded),
      control: figures(control),
      floodMiBps: +((done.sent as number) / (done.seconds as number) / 2 ** 20).toFixed(1),
      delivered: done.received as number,
      relayCpuMsPerS: Math.round((cpuMs(relayPid) - relayCpu) / elapsed),
      serverCpuMsPerS: Math.round((cpuMs(server.pid) - serverCpu) / elapsed),
    };
  }

  it('a data flood through one relay lobby does not delay signalling for another game', async () => {
    const idle = figures(await roundTrips(bystander, 50));
    const windows = [await floodWindow(5)];
    console.log('relay flood', JSON.stringify({ idle, ...windows[0] }));
    // A window counts if it was a flood (megabytes a second went in, and the relay forwarded them: a
    // flooder starved by the shared machine is not one). The judgement needs a window in which the
    // machine answers a quiet server within 50 ms: up to three more windows while it is busier than that.
    const flooded = (window: (typeof windows)[number]) => window.floodMiBps > 1 && window.delivered > 100;
    const quiet = () => windows.find((window) => flooded(window) && window.control.p99 < 50);
    while (windows.length < 4 && !quiet()) {
      windows.push(await floodWindow(5));
      console.log('relay flood (again: no flood, or the control was slow too)', JSON.stringify(windows.at(-1)));
    }
    expect(windows.some(flooded), 'a flood went through the relay').toBe(true);
    for (const window of windows.filter(flooded)) {
      // The flood's work is the relay process's, not the signalling server's (CPU time, whatever the
      // machine's load: with the relay peer on the signalling thread the server spent ~its share of it).
      expect(window.serverCpuMsPerS).toBeLessThan(60);
      expect(window.relayCpuMsPerS).toBeGreaterThan(4 * window.serverCpuMsPerS);
    }
    // Whatever the machine's load, nothing like the seconds-long stalls: the flooded server's
    // bystander stays near the quiet one's (p99 of ~90 round trips is their second worst: noisy).
    for (const window of windows.filter(flooded)) expect(window.flood.p99).toBeLessThanOrEqual(2 * window.control.p99 + 50);
    const judged = quiet();
    if (judged) expect(judged.flood.p99).toBeLessThan(50);
    else console.warn('relay flood: the machine never answered a quiet server within 50 ms; only the comparison with it was checked');
  }, 120_000);

  it('a flood of failing offers (20 connections, 40/s) leaves threads and fds bounded, and they come back', async () => {
    const relayPid = await server.relayPid();
    const hosts: { client: RawClient; relay: string }[] = [];
    for (let i = 0; i < 20; i += 1) {
      // Each from its own address: one address's 20 would meet its share of the negotiations first
      // (--relay-negotiations-per-address, negotiation-share.test.ts), refused for that and not their offers.
      const client = await rawPlayer(server.url, 'offers', `host${i}`, `127.0.1.${i + 1}`);
      await client.request('CREATE_LOBBY', lobby(`offers${i}`), 'CREATE_ACK');
      hosts.push({ client, relay: (await client.next('RELAY', 10_000)).payload as string });
    }
    const before = { server: held(server.pid), relay: held(relayPid) };
    const peak = { ...before };
    const higher = (a: Held, b: Held): Held => ({ threads: Math.max(a.threads, b.threads), fds: Math.max(a.fds, b.fds) });
    const sample = () => {
      peak.server = higher(peak.server, held(server.pid));
      peak.relay = higher(peak.relay, held(relayPid));
    };
    const garbage = { type: 0, contents: { type: 'offer', sdp: 'v=0 this is not a session description' } };
    const end = Date.now() + 8000;
    while (Date.now() < end) {
      for (const host of hosts) host.client.send({ opcode: 'MAKE_OFFER', payload: garbage, recipient: host.relay });
      sample();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Each was refused once over the limit, with the reason.
    for (const host of hosts) expect(host.client.received.some((p) => p.opcode === 'WARNING' && String(p.payload).includes('too many offers'))).toBe(true);
    let after = { server: held(server.pid), relay: held(relayPid) };
    const settled = () => after.relay.threads <= before.relay.threads + 4 && after.relay.fds <= before.relay.fds + 8;
    const deadline = Date.now() + 30_000;
    while (!settled() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      sample();
      after = { server: held(server.pid), relay: held(relayPid) };
    }
    console.log('failing offers', JSON.stringify({ before, peak, after }));
    expect(settled(), 'the relay process back near its baseline').toBe(true);
    // Signalling never made a peer connection: the server process holds what it held.
    expect(peak.server.threads).toBeLessThanOrEqual(before.server.threads + 4);
    expect(peak.server.fds).toBeLessThanOrEqual(before.server.fds + 8);
    // The relay process: bounded while it lasted (the issue saw threads 11 → 560, fds 41 → 2,664). At most
    // --relay-negotiations (32) connections are being set up at once, and it collects as soon as that many
    // closed: none of these open, so at most 64 peer connections alive, ~2 threads and ~16 fds each. (Loaded runs peak at +0–6
    // threads and +0–18 fds: these offers fail at once.)
    expect(peak.relay.threads).toBeLessThanOrEqual(before.relay.threads + 2 * 64);
    expect(peak.relay.fds).toBeLessThanOrEqual(before.relay.fds + 16 * 64);
    for (const host of hosts) host.client.ws.terminate();
  }, 60_000);

  it('the relay process killed: signalling goes on, a relay lobby gets a new relay peer and its players talk again', async () => {
    const ann = await player(server.url, 'kept', 'ann');
    const bob = await player(server.url, 'kept', 'bob');
    try {
      await ann.client.createLobby({ name: 'kept', enableRelay: true });
      await until(() => ann.client.mesh?.relayId != null, 'RELAY');
      await bob.client.joinLobby('kept');
      const linked = () => ann.client.isPeerConnected(bob.client.myId) && bob.client.isPeerConnected(ann.client.myId);
      await until(linked, 'linked through the relay', 20_000);
      const oldRelay = ann.client.mesh!.relayId;
      const oldPid = await server.relayPid();

      process.kill(oldPid, 'SIGKILL');
      // Signalling does not wait for the relay: the bystander is answered at once, again and again.
      const [meanwhile, held] = await ownLoopHeld(() => probeRoundTrips(server.url, 10));
      console.log('relay killed', JSON.stringify({ bystanderMaxMs: +quantile(meanwhile, 1).toFixed(1), testProcessHeldMs: +held.toFixed(0) }));
      expect(quantile(meanwhile, 1)).toBeLessThan(50);
      const newPid = await waitFor(() => children(server.pid).find((pid) => pid !== oldPid), 'a new relay process', 15_000);
      await until(
        () => ann.client.mesh?.relayId !== oldRelay && bob.client.mesh?.relayId === ann.client.mesh?.relayId,
        'RELAY with the new relay peer',
        20_000,
      );
      await until(linked, 'linked through the new relay', 30_000);
      bob.client.broadcast('after the restart');
      await until(() => ann.messages.includes('after the restart'), 'the broadcast through the new relay');
      ann.client.sendPrivate(bob.client.myId, 'a private one');
      await until(() => bob.messages.includes('a private one'), 'the private message through the new relay');
      // Its players were told, with the reason.
      expect(ann.warnings).toContain(`server: ${Warning.relayLost}`);
      expect(server.process.output()).toContain('"event":"relay.process_exit"');
      expect(server.process.output()).toContain('"event":"relay.replaced"');
      expect(newPid).not.toBe(oldPid);
    } finally {
      await disconnectAll([ann.client, bob.client]);
    }
  }, 90_000);
  it('a relay process that stops answering is killed and replaced; signalling never waits for it', async () => {
    const stalled = await server.relayPid();
    process.kill(stalled, 'SIGSTOP');
    try {
      // Stopped: it reads nothing, answers nothing. Signalling for others does not notice.
      const meanwhile = await probeRoundTrips(server.url, 20);
      expect(quantile(meanwhile, 1)).toBeLessThan(50);
      const replaced = await waitFor(() => children(server.pid).find((pid) => pid !== stalled), 'a new relay process', 30_000);
      expect(server.process.output()).toContain('"event":"relay.process_stalled"');
      // The new one works: a relay lobby gets its relay peer.
      const host = await rawPlayer(server.url, 'after-stall', 'host');
      await host.request('CREATE_LOBBY', lobby('after-stall'), 'CREATE_ACK');
      expect(typeof (await host.next('RELAY', 10_000)).payload).toBe('string');
      expect(replaced).not.toBe(stalled);
      host.ws.terminate();
    } finally {
      // SIGKILLed by the server already; in case the test failed before.
      try {
        process.kill(stalled, 'SIGKILL');
      } catch {}
    }
  }, 60_000);
});

describe('a hybrid lobby when the relay process dies', () => {
  let server: Running;
  let players: MeshPlayer[] = [];

  beforeAll(async () => {
    server = await serve([]);
  }, 30_000);

  afterAll(async () => {
    await closeAll(players);
    if (server) await stop(server);
  });

  it('the pair it carried asks the new relay peer and keeps talking: every message arrives once and in order; direct pairs are untouched', async () => {
    const cut = cutCandidates();
    const options = { relayFallbackMs: 1500, connectTimeoutMs: 5000 };
    const ann = await meshPlayer(server.url, 'ann', options);
    const bob = await meshPlayer(server.url, 'bob', options);
    const cat = await meshPlayer(server.url, 'cat', { ...options, WebSocket: cut.WebSocket });
    players = [ann, bob, cat];
    cut.cutOff.add(ann.id);
    await meshLobby(players, 'hybrid');
    expect(ann.mesh.viaRelay(cat.id) && cat.mesh.viaRelay(ann.id)).toBe(true);
    expect(ann.mesh.viaRelay(bob.id) || cat.mesh.viaRelay(bob.id)).toBe(false);
    const oldRelay = ann.session.relayId!;
    expect(ann.mesh.link(oldRelay)?.connected).toBe(true);
    const bobLinks = [ann.mesh.link(bob.id), cat.mesh.link(bob.id)];

    // ann and cat talk through the relay all along.
    const pair = new RelayedPair(ann, cat);
    try {
      await pair.heard();
      process.kill(await server.relayPid(), 'SIGKILL');
      await pair.moved(oldRelay, 30_000);
    } finally {
      pair.stop();
    }
    await pair.expectEveryMessageOnceInOrder();
    // bob's direct links never moved.
    expect([ann.mesh.link(bob.id), cat.mesh.link(bob.id)]).toEqual(bobLinks);
    expect(players.flatMap((p) => p.errors)).toEqual([]);
    expect(server.process.output()).toContain('"event":"relay.process_exit"');
  }, 120_000);
});

describe('the relay limits (small ones), each refused with its reason', () => {
  let server: Running;

  beforeAll(async () => {
    server = await serve(['--relay-offers-per-minute', '3', '--relay-links-per-lobby', '2', '--relay-kib-per-second', '16']);
  }, 30_000);

  afterAll(async () => {
    if (server) await stop(server);
  });

  it('offers per member: past the limit, WARNING with the reason and no peer connection', async () => {
    const host = await rawPlayer(server.url, 'limits', 'host');
    await host.request('CREATE_LOBBY', lobby('offers'), 'CREATE_ACK');
    const relay = (await host.next('RELAY', 10_000)).payload as string;
    const garbage = { type: 0, contents: { type: 'offer', sdp: 'not sdp' } };
    for (let i = 0; i < 3; i += 1) host.send({ opcode: 'MAKE_OFFER', payload: garbage, recipient: relay });
    expect(host.received.filter((p) => p.opcode === 'WARNING')).toEqual([]);
    host.send({ opcode: 'MAKE_OFFER', payload: garbage, recipient: relay });
    expect(String((await host.next('WARNING')).payload)).toMatch(/^relay: too many offers to the relay \(3 a minute\); try again in \d+ s$/);
    await waitFor(() => (server.process.output().includes('"event":"relay.refused"') ? true : undefined), 'the refusal logged');
    host.ws.terminate();
  });

  it('links per lobby: a third member offering to the relay is refused with the reason', async () => {
    const members = [await rawPlayer(server.url, 'limits', 'm0'), await rawPlayer(server.url, 'limits', 'm1'), await rawPlayer(server.url, 'limits', 'm2')];
    await members[0]!.request('CREATE_LOBBY', lobby('links'), 'CREATE_ACK');
    const relay = (await members[0]!.next('RELAY', 10_000)).payload as string;
    for (const member of members.slice(1)) await member.request('JOIN_LOBBY', { name: 'links', password: '' }, 'JOIN_ACK');
    const connections: RTCPeerConnection[] = [];
    try {
      for (const member of members) {
        // A real offer: the relay answers it, and its link stays (opening) while the test runs.
        const pc = new wrtc.RTCPeerConnection() as RTCPeerConnection;
        connections.push(pc);
        pc.createDataChannel('default');
        const offer = await pc.createOffer();
        member.send({ opcode: 'MAKE_OFFER', payload: { type: 0, contents: { type: 'offer', sdp: offer.sdp } }, recipient: relay });
      }
      await members[0]!.next('MAKE_ANSWER', 10_000);
      await members[1]!.next('MAKE_ANSWER', 10_000);
      const refusal = "relay: this lobby's relay already links 2 players (its limit); offer refused";
      expect((await members[2]!.next('WARNING')).payload).toBe(refusal);
      expect(members[2]!.received.some((p) => p.opcode === 'MAKE_ANSWER')).toBe(false);

      // A player's client refused so gives up at once: offering again cannot help while the lobby's relay
      // links its limit. (Its connect timeout is 2 minutes: it does not wait for it, nor retry after it.)
      const dan = await player(server.url, 'limits', 'dan', { connectTimeoutMs: 120_000 });
      try {
        await dan.client.joinLobby('links');
        const gaveUp = `link to ${relay} failed: ${refusal}`;
        await until(() => dan.warnings.includes(gaveUp), 'dan gave up on the relay', 30_000);
        expect(dan.warnings).toEqual([`server: ${refusal}`, gaveUp]);
        expect(dan.client.mesh!.link(relay)).toBeUndefined();
      } finally {
        await disconnectAll([dan.client]);
      }
    } finally {
      for (const pc of connections) pc.close();
      for (const member of members) member.ws.terminate();
    }
  }, 60_000);

  it('bytes per second per member: what is over it is dropped, and the sender is told why', async () => {
    const ann = await player(server.url, 'bytes', 'ann');
    const bob = await player(server.url, 'bytes', 'bob');
    try {
      await ann.client.createLobby({ name: 'bytes', enableRelay: true });
      await until(() => ann.client.mesh?.relayId != null, 'RELAY');
      await bob.client.joinLobby('bytes');
      await until(() => ann.client.isPeerConnected(bob.client.myId) && bob.client.isPeerConnected(ann.client.myId), 'linked through the relay', 20_000);
      // 40 × 4 KB at once: 160 KB, five times the 32 KiB burst.
      for (let i = 0; i < 40; i += 1) ann.client.broadcast(`${i} ${'x'.repeat(4000)}`);
      await until(() => ann.warnings.length > 0, 'the WARNING');
      expect(ann.warnings[0]).toBe('server: relay: you send more than 16 KiB/s through the relay; what is over it is dropped');
      // Some went through (the burst), not all of it.
      await until(() => bob.messages.length > 0, 'what fitted the budget');
      expect(bob.messages.length).toBeLessThan(40);
      expect(server.process.output()).toContain('"event":"relay.limited"');
    } finally {
      await disconnectAll([ann.client, bob.client]);
    }
  }, 60_000);
});

describe('links set up at once (small limit), each refused with its reason until one opens or times out', () => {
  const LIMIT = 4;
  const TIMEOUT_S = 8;
  let server: Running;

  beforeAll(async () => {
    // Every player here is on one address: its share (half the limit unless set) is off, to reach the limit itself.
    server = await serve(['--relay-negotiations', String(LIMIT), '--relay-negotiations-per-address', '0', '--relay-negotiation-timeout', String(TIMEOUT_S)]);
  }, 30_000);

  afterAll(async () => {
    if (server) await stop(server);
  });

  it('offers whose ICE never comes hold at most the limit; further ones are refused; once they time out an honest player links', async () => {
    const ann = await player(server.url, 'negotiations', 'ann');
    const bob = await player(server.url, 'negotiations', 'bob');
    const failing: RawClient[] = [];
    try {
      const relay = await hostRelayLobby(ann.client, 'negotiations', server.url, server.process);
      const offer = await stuckOffer();
      for (let i = 0; i < 2 * LIMIT; i += 1) {
        const member = await rawPlayer(server.url, 'negotiations', `stuck${i}`);
        await member.request('JOIN_LOBBY', { name: 'negotiations', password: '' }, 'JOIN_ACK');
        failing.push(member);
      }
      const offeredAt = Date.now();
      for (const member of failing) member.send({ opcode: 'MAKE_OFFER', payload: offer, recipient: relay });
      const refusal = `relay: the relay is already setting up ${LIMIT} links (its limit); offer refused, try again when one has opened or timed out`;
      const refused = () => failing.filter((member) => member.received.some((p) => p.opcode === 'WARNING' && p.payload === refusal));
      const answered = () => failing.filter((member) => member.received.some((p) => p.opcode === 'MAKE_ANSWER'));
      // The server decides as each offer arrives (a round trip on each socket later, any refusal is here):
      // the first LIMIT go on to the relay process, every further one is refused.
      await Promise.all(failing.map((member) => member.sync()));
      expect(refused().length, `refused of ${failing.length} offers`).toBe(LIMIT);
      expect(await negotiating(server.url), 'slots held').toBe(LIMIT);
      // What went on built a peer connection in the relay process, which answers it (bounded: on a loaded
      // machine the relay process, at nice 10, may close one at its deadline before it could answer).
      await until(() => answered().length === LIMIT, `${LIMIT} answered`, 20_000).catch(() => undefined);
      console.log('negotiations', JSON.stringify({ offers: failing.length, refused: refused().length, answered: answered().length }));
      expect(answered().length).toBeGreaterThan(0);
      expect(answered().length).toBeLessThanOrEqual(LIMIT);
      // Nobody is both: what was refused never reached the relay process.
      expect(refused().filter((member) => answered().includes(member))).toEqual([]);
      await waitFor(() => (server.process.output().includes('"event":"relay.refused"') ? true : undefined), 'the refusal logged');

      // Bob joins while the stuck negotiations hold every slot (his first offer is refused, or waits for
      // a slot's timeout): his link through the relay opens once they time out.
      await bob.client.joinLobby('negotiations');
      await until(() => bob.client.isPeerConnected(ann.client.myId) && ann.client.isPeerConnected(bob.client.myId), 'bob linked through the relay', 60_000);
      bob.client.broadcast('through at last');
      await until(() => ann.messages.includes('through at last'), 'the broadcast');
      console.log('negotiations', JSON.stringify({ bobWarnings: bob.warnings }));
      // The stuck ones' slots are freed by the timeout, at the latest (a relay process that never reported
      // on one, e.g. starved at nice 10) the grace after it, at the next sweep; Bob's once the relay process
      // reports his link open, which may come after Bob sees it open.
      const allFreedAt = offeredAt + TIMEOUT_S * 1000 + NEGOTIATION_GRACE_MS + 2 * HEARTBEAT_MS;
      await slotsFree(server.url, server.process, 'every relay negotiation slot free', allFreedAt + 5000 - Date.now());
      // The members refused before may then offer again, and none is refused (a refusal would be told:
      // the last was more than 5 s ago).
      const again = refused();
      for (const member of again) member.received.splice(0);
      for (const member of again) member.send({ opcode: 'MAKE_OFFER', payload: offer, recipient: relay });
      await Promise.all(again.map((member) => member.sync()));
      expect(again.filter((member) => member.received.some((p) => p.opcode === 'WARNING'))).toEqual([]);
    } finally {
      for (const member of failing) member.ws.terminate();
      await disconnectAll([ann.client, bob.client]);
    }
  }, 120_000);
});

describe('a player refused because the relay is busy', () => {
  const LIMIT = 2;
  let server: Running;

  beforeAll(async () => {
    // Stuck offers that outlast the test: only their members leaving frees the slots.
    server = await serve(['--relay-negotiations', String(LIMIT), '--relay-negotiations-per-address', '0', '--relay-negotiation-timeout', '600']);
  }, 30_000);

  afterAll(async () => {
    if (server) await stop(server);
  });

  it('offers again soon after a slot frees, long before its connect timeout', async () => {
    const ann = await player(server.url, 'busy', 'ann');
    // Without offering again on its own, Bob's client would wait 2 minutes (its connect timeout) to retry.
    const bob = await player(server.url, 'busy', 'bob', { connectTimeoutMs: 120_000 });
    const stuck: RawClient[] = [];
    try {
      const relay = await hostRelayLobby(ann.client, 'busy', server.url, server.process);
      const offer = await stuckOffer();
      for (let i = 0; i < LIMIT; i += 1) {
        const member = await rawPlayer(server.url, 'busy', `stuck${i}`);
        await member.request('JOIN_LOBBY', { name: 'busy', password: '' }, 'JOIN_ACK');
        member.send({ opcode: 'MAKE_OFFER', payload: offer, recipient: relay });
        await member.sync();
        stuck.push(member);
      }
      expect(stuck.flatMap((member) => member.received.filter((p) => p.opcode === 'WARNING'))).toEqual([]);
      expect(await negotiating(server.url), 'slots held').toBe(LIMIT);

      await bob.client.joinLobby('busy');
      const refusal = `server: ${RelayRefusal.negotiations(LIMIT)}`;
      await until(() => bob.warnings.includes(refusal), 'bob refused', 30_000);
      // While the slots stay taken, Bob keeps offering and is refused, on a backoff (from about 6 s: refusals are told at most every 5 s).
      await until(() => bob.warnings.filter((text) => text === refusal).length >= 2, 'bob refused again', 30_000);
      expect(bob.client.mesh!.link(relay)?.connected).not.toBe(true);

      // They leave (a dropped socket would keep its seat for the resume grace): their slots free at once.
      const freedAt = Date.now();
      for (const member of stuck) await member.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK');
      expect(await negotiating(server.url), 'slots held').toBe(0);
      await until(() => bob.client.isPeerConnected(ann.client.myId) && ann.client.isPeerConnected(bob.client.myId), 'bob linked through the relay', 60_000);
      // His next offer after the slots freed got one (the backoff is at most 17 s: 5 s, then 8 s jittered +50 %).
      const linkedAfterMs = Date.now() - freedAt;
      bob.client.broadcast('through');
      await until(() => ann.messages.includes('through'), 'the broadcast');
      console.log('busy relay', JSON.stringify({ linkedAfterMs, bobWarnings: bob.warnings }));
    } finally {
      for (const member of stuck) member.ws.terminate();
      await disconnectAll([ann.client, bob.client]);
    }
  }, 150_000);
});

describe('the relay flags', () => {
  it('are taken from the environment too, and bad values are refused with one clear line', async () => {
    const fromEnv = bundle.run(['--port', '0'], { CL5_RELAY_OFFERS_PER_MINUTE: '1' });
    try {
      const host = await rawPlayer(await printedWsUrl(fromEnv), 'env', 'host');
      await host.request('CREATE_LOBBY', lobby('env'), 'CREATE_ACK');
      const relay = (await host.next('RELAY', 10_000)).payload as string;
      const garbage = { type: 0, contents: { type: 'offer', sdp: 'not sdp' } };
      host.send({ opcode: 'MAKE_OFFER', payload: garbage, recipient: relay });
      host.send({ opcode: 'MAKE_OFFER', payload: garbage, recipient: relay });
      expect(String((await host.next('WARNING')).payload)).toMatch(/^relay: too many offers to the relay \(1 a minute\)/);
      host.ws.terminate();
    } finally {
      fromEnv.child.kill('SIGTERM');
      await fromEnv.exited;
    }
    for (const [args, message] of [
      [['--relay-offers-per-minute', '0'], 'invalid --relay-offers-per-minute: 0'],
      [['--relay-links-per-lobby', 'many'], 'invalid --relay-links-per-lobby: many'],
      [['--relay-kib-per-second', '0.5'], 'invalid --relay-kib-per-second: 0.5'],
      [['--relay-memory-mib', '16'], 'invalid --relay-memory-mib: 16 (a whole number ≥ 32)'],
      [['--relay-nice=-1'], 'invalid --relay-nice: -1'],
      [['--relay-negotiations', '0'], 'invalid --relay-negotiations: 0'],
      [['--relay-negotiation-timeout', '0'], 'invalid --relay-negotiation-timeout: 0 (seconds, more than 0)'],
    ] as const) {
      const bad = bundle.run(['--port', '0', ...args]);
      expect(await bad.exited).toBe(2);
      expect(bad.output()).toContain(message);
    }
  }, 60_000);
});
