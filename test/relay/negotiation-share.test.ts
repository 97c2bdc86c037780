// One address's share of the links the relay process sets up at once (--relay-negotiations-per-address,
// relay-negotiations.ts), against a real server process and real WebRTC on loopback: clients of one
// address (127.0.0.3) holding offers whose ICE never comes cannot have a player on another address
// (127.0.0.4) refused; with the share off, the same offers hold every slot and that player is refused.
// In a cluster (two node processes on a real redis-server) the same holds for members on the node that
// does not run the relay peer: their node sends their address along with their offers.
import { wrtc } from '../helpers/wrtc.js';
import { disconnectAll } from '../helpers/disconnect-all.js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { RelayRefusal } from '../../src/protocol/index.js';
import { redisForTests } from '../helpers/redis.js';
import { bundleServer, printedWsUrl, type ServerBundle, type ServerProcess } from '../helpers/server-process.js';
import { until } from '../helpers/until.js';
import { hostRelayLobby, stuckOffer } from '../helpers/relay-slots.js';
import { RawClient } from '../server/helpers.js';

const LIMIT = 4;
const SHARE = 2;
/** Offers the stuck address makes, each from a member of its own: twice the slots there are. */
const STUCK = 2 * LIMIT;
/**
 * Long enough that no stuck offer's slot is freed by its timeout while the test runs (the server frees
 * one 5 s after it): whatever the honest player gets, it gets while they hold their slots.
 */
const TIMEOUT_S = 90;

const HOST_ADDRESS = '127.0.0.2';
const STUCK_ADDRESS = '127.0.0.3';
const HONEST_ADDRESS = '127.0.0.4';

let bundle: ServerBundle;

beforeAll(async () => {
  bundle = await bundleServer();
}, 60_000);

afterAll(() => bundle?.dispose());

/** The WebSocket class of a client whose connections come from `localAddress` (all of 127/8 is loopback). */
const socketFrom = (localAddress: string) =>
  class extends WebSocket {
    constructor(url: string) {
      super(url, { localAddress });
    }
  } as unknown as WebSocketConstructor;

interface RealPlayer {
  client: CloudLinkClient;
  warnings: string[];
  messages: unknown[];
}

async function realPlayer(url: string, username: string, address: string): Promise<RealPlayer> {
  const client = new CloudLinkClient({ WebSocket: socketFrom(address), wrtc, keepaliveMs: 0 });
  const warnings: string[] = [];
  const messages: unknown[] = [];
  client.on('error', (error) => warnings.push(error.message));
  client.on('message', (m) => messages.push(m.payload));
  await client.connect({ url, username, ugi: 'share' });
  return { client, warnings, messages };
}

interface Outcome {
  /** The text each stuck member was refused with ('' if it was not). */
  stuckRefusals: string[];
  /** The honest player's link through the relay opened (and a broadcast crossed it) while the stuck offers held their slots. */
  honestLinked: boolean;
  honestWarnings: string[];
}

/**
 * Ann (127.0.0.2) makes a relay lobby and links to its relay; STUCK members of 127.0.0.3 join and each
 * offers once, ICE never coming; then Bob (127.0.0.4) joins. Bob links through the relay and his broadcast
 * reaches Ann, or he is refused: whichever comes first, well within the stuck offers' timeout. With
 * `redisUrl`, two nodes share it: Ann (and so the relay peer) on the first, everyone else on the second.
 */
async function stuckThenHonest(shareArgs: string[], redisUrl?: string): Promise<Outcome> {
  const args = ['--port', '0', '--relay-negotiations', String(LIMIT), '--relay-negotiation-timeout', String(TIMEOUT_S), ...shareArgs];
  const servers: ServerProcess[] = redisUrl ? [bundle.run([...args, '--redis', redisUrl]), bundle.run([...args, '--redis', redisUrl])] : [bundle.run(args)];
  const stuck: RawClient[] = [];
  let ann: RealPlayer | undefined;
  let bob: RealPlayer | undefined;
  try {
    const [relayUrl, url] = await Promise.all([printedWsUrl(servers[0]!), printedWsUrl(servers.at(-1)!)]);
    ann = await realPlayer(relayUrl!, 'ann', HOST_ADDRESS);
    const relay = await hostRelayLobby(ann.client, 'share', relayUrl!, servers[0]!);

    const offer = await stuckOffer();
    for (let i = 0; i < STUCK; i += 1) {
      const member = await RawClient.open(`${url}?ugi=share`, { localAddress: STUCK_ADDRESS });
      stuck.push(member);
      await member.request('INIT', { username: `stuck${i}` }, 'INIT_OK');
      await member.request('JOIN_LOBBY', { name: 'share', password: '' }, 'JOIN_ACK');
    }
    for (const member of stuck) member.send({ opcode: 'MAKE_OFFER', payload: offer, recipient: relay });
    // The relay's server decides as each offer arrives: the relay peer answers it, or the member is refused.
    const decided = (member: RawClient) => member.received.some((p) => p.opcode === 'WARNING' || p.opcode === 'MAKE_ANSWER');
    await until(() => stuck.every(decided), 'every stuck offer answered or refused', 30_000);
    const stuckRefusals = stuck.map((member) => String(member.received.find((p) => p.opcode === 'WARNING')?.payload ?? ''));
    const offeredAt = Date.now();

    bob = await realPlayer(url, 'bob', HONEST_ADDRESS);
    await bob.client.joinLobby('share');
    const refused = () => bob!.warnings.some((text) => text.includes('relay: the relay is already setting up'));
    const linked = () => bob!.client.mesh?.link(relay)?.connected === true;
    await until(() => linked() || refused(), 'bob linked through the relay, or refused', 45_000);
    let honestLinked = false;
    if (linked()) {
      bob.client.broadcast('through');
      await until(() => ann!.messages.includes('through'), 'the broadcast', 15_000);
      honestLinked = true;
    }
    // Whatever Bob got, he got while the stuck offers held their slots.
    expect(Date.now() - offeredAt).toBeLessThan(TIMEOUT_S * 1000);
    console.log('negotiation-share', JSON.stringify({ shareArgs, stuckRefusals, honestLinked, bobWarnings: bob.warnings, ms: Date.now() - offeredAt }));
    return { stuckRefusals, honestLinked, honestWarnings: [...bob.warnings] };
  } finally {
    for (const member of stuck) member.ws.terminate();
    await disconnectAll([ann?.client, bob?.client].filter((client) => client !== undefined));
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(servers.map((server) => server.exited));
  }
}

describe("one address's share of the links the relay sets up at once", () => {
  // SHARE is half of LIMIT: the share a server gets when only --relay-negotiations is set.
  it.each([
    ['set by its flag', ['--relay-negotiations-per-address', String(SHARE)]],
    ['not set: half of --relay-negotiations', []],
  ])(
    'stuck offers from one address take only its share (%s): a player on another address links at once and is not refused',
    async (_, shareArgs) => {
      const outcome = await stuckThenHonest(shareArgs);
      // SHARE went on to the relay process; every other stuck offer was refused with the share's reason.
      expect(outcome.stuckRefusals.filter((text) => text === '')).toHaveLength(SHARE);
      expect(outcome.stuckRefusals.filter((text) => text === RelayRefusal.negotiationsPerAddress(SHARE))).toHaveLength(STUCK - SHARE);
      expect(outcome.honestLinked).toBe(true);
      expect(outcome.honestWarnings.filter((text) => text.includes('relay:'))).toEqual([]);
    },
    120_000,
  );

  it('with the share off (0), the same stuck offers hold every slot and the player on another address is refused', async () => {
    const outcome = await stuckThenHonest(['--relay-negotiations-per-address', '0']);
    expect(outcome.stuckRefusals.filter((text) => text === '')).toHaveLength(LIMIT);
    expect(outcome.stuckRefusals.filter((text) => text === RelayRefusal.negotiations(LIMIT))).toHaveLength(STUCK - LIMIT);
    expect(outcome.honestLinked).toBe(false);
    expect(outcome.honestWarnings).toContain(`server: ${RelayRefusal.negotiations(LIMIT)}`);
  }, 120_000);

  it('the share is a flag and an env; a bad value is refused with one clear line', async () => {
    const fromEnv = bundle.run(['--port', '0', '--relay-negotiations', '4'], { CL5_RELAY_NEGOTIATIONS_PER_ADDRESS: '1' });
    try {
      const url = await printedWsUrl(fromEnv);
      const host = await RawClient.open(`${url}?ugi=env`);
      await host.request('INIT', { username: 'host' }, 'INIT_OK');
      await host.request('CREATE_LOBBY', { name: 'env', max_players: -1, password: '', locked: false, enable_relay: true }, 'CREATE_ACK');
      const relay = (await host.next('RELAY', 10_000)).payload as string;
      const guest = await RawClient.open(`${url}?ugi=env`);
      await guest.request('INIT', { username: 'guest' }, 'INIT_OK');
      await guest.request('JOIN_LOBBY', { name: 'env', password: '' }, 'JOIN_ACK');
      const offer = await stuckOffer();
      host.send({ opcode: 'MAKE_OFFER', payload: offer, recipient: relay });
      await host.sync();
      guest.send({ opcode: 'MAKE_OFFER', payload: offer, recipient: relay });
      expect((await guest.next('WARNING')).payload).toBe(RelayRefusal.negotiationsPerAddress(1));
      expect(host.received.filter((p) => p.opcode === 'WARNING')).toEqual([]);
      host.ws.terminate();
      guest.ws.terminate();
    } finally {
      fromEnv.child.kill('SIGTERM');
      await fromEnv.exited;
    }
    const bad = bundle.run(['--port', '0', '--relay-negotiations-per-address', 'half']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('invalid --relay-negotiations-per-address: half (a whole number ≥ 0)');
  }, 60_000);
});

describe("in a cluster, members on another node than the relay peer's", () => {
  const redis = redisForTests();

  it('stuck offers from one address there take only its share: a player on another address there links at once and is not refused', async () => {
    const outcome = await stuckThenHonest(['--relay-negotiations-per-address', String(SHARE)], redis.url);
    expect(outcome.stuckRefusals.filter((text) => text === '')).toHaveLength(SHARE);
    expect(outcome.stuckRefusals.filter((text) => text === RelayRefusal.negotiationsPerAddress(SHARE))).toHaveLength(STUCK - SHARE);
    expect(outcome.honestLinked).toBe(true);
    expect(outcome.honestWarnings.filter((text) => text.includes('relay:'))).toEqual([]);
  }, 120_000);
});
