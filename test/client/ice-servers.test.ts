// Which STUN/TURN servers a client's links get (src/client/ice-servers.ts): the public STUN list by
// default, the project's own list instead once it sets one, the server's TURN credentials on top;
// none at all when the CL5 server is on loopback, which is how every test here stays on this machine.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { IceServer } from '../../src/client/api.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import { DEFAULT_STUN_SERVERS, iceServersFor, isLoopbackServer } from '../../src/client/ice-servers.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { idleWrtc } from '../helpers/idle-wrtc.js';
import { silentLogger } from '../helpers/logger.js';
import { recordingWrtc, type RecordingWrtc } from '../helpers/recording-wrtc.js';
import { until } from '../helpers/until.js';
import { disconnectAll } from '../helpers/disconnect-all.js';

const TURN: IceServer = { urls: ['turn:turn.example.test:3478'], username: '1:me', credential: 'c2VjcmV0' };

describe('the ICE servers a link gets', () => {
  it('are the public STUN list when the project set none, its own list when it did, plus the server-given TURN', () => {
    const own = [{ urls: 'stun:stun.example.test:3478' }];
    expect(iceServersFor('wss://cl5.example.test/', null, [])).toEqual(DEFAULT_STUN_SERVERS);
    expect(iceServersFor('wss://cl5.example.test/', null, [TURN])).toEqual([...DEFAULT_STUN_SERVERS, TURN]);
    expect(iceServersFor('wss://cl5.example.test/', own, [TURN])).toEqual([...own, TURN]);
    // "remove all STUN/TURN servers": none of the project's, the defaults included; the server's TURN stays.
    expect(iceServersFor('wss://cl5.example.test/', [], [TURN])).toEqual([TURN]);
    expect(DEFAULT_STUN_SERVERS.flatMap((server) => server.urls).every((url) => url.startsWith('stun:'))).toBe(true);
  });

  it('leave the public STUN list out when the CL5 server is on loopback (every player is on this machine)', () => {
    for (const url of [
      'ws://127.0.0.1:3000/',
      'ws://127.3.2.1/',
      'ws://localhost:8080/?ugi=x',
      'ws://LOCALHOST/',
      'ws://game.localhost/',
      'ws://[::1]:3000/',
    ]) {
      expect(isLoopbackServer(url), url).toBe(true);
      expect(iceServersFor(url, null, [TURN]), url).toEqual([TURN]);
    }
    for (const url of ['wss://cl5.example.test/', 'ws://192.0.2.7:3000/', 'ws://127.0.0.1.example.test/', 'ws://[::2]/', 'not a url']) {
      expect(isLoopbackServer(url), url).toBe(false);
    }
    // The project's own list is used wherever the server is.
    expect(iceServersFor('ws://127.0.0.1:3000/', [{ urls: 'stun:127.0.0.1:3478' }], [])).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
  });
});

describe('a real client', () => {
  let server: RunningServer | undefined;
  const clients: CloudLinkClient[] = [];
  afterEach(async () => {
    await disconnectAll(clients.splice(0));
    await server?.close();
    server = undefined;
  });

  async function connected(url: string, name: string, recorded: RecordingWrtc, WebSocketClass: WebSocketConstructor): Promise<CloudLinkClient> {
    const client = new CloudLinkClient({ WebSocket: WebSocketClass, wrtc: recorded.wrtc, keepaliveMs: 0 });
    clients.push(client);
    await client.connect({ url, username: name, ugi: 'ice' });
    return client;
  }

  it('on a server elsewhere: its links get the public STUN list and its TURN, until the project sets its own', async () => {
    server = await startServer({ port: 0, logger: silentLogger, turn: { urls: ['turn:127.0.0.1:3478'], secret: 's' } });
    // A server "elsewhere" without leaving this machine: the client is told a name under .test (reserved,
    // never resolved); its socket goes to the test's server on 127.0.0.1; its links never negotiate (idle
    // WebRTC), so not one STUN packet is sent.
    const port = server.port;
    class ToThisServer extends WebSocket {
      constructor(url: string | URL) {
        const target = new URL(url);
        target.hostname = '127.0.0.1';
        target.port = String(port);
        super(target);
      }
    }
    const url = 'ws://cl5.example.test/';
    const host = recordingWrtc(idleWrtc);
    const ann = await connected(url, 'ann', host, ToThisServer as unknown as WebSocketConstructor);
    await ann.createLobby({ name: 'elsewhere' });
    // ann opens a link to each newcomer: its configuration is what ann's ICE settings were at that moment.
    const linkTo = async (name: string) => {
      const guest = await connected(url, name, recordingWrtc(idleWrtc), ToThisServer as unknown as WebSocketConstructor);
      await guest.joinLobby('elsewhere');
      await until(() => host.made.length === clients.length - 1, `ann's link to ${name}`);
      return host.made.at(-1)!.config.iceServers;
    };
    const annTurn = { urls: ['turn:127.0.0.1:3478'], username: expect.stringMatching(new RegExp(`^\\d+:${ann.myId}$`)), credential: expect.any(String) };

    expect(await linkTo('bob')).toEqual([...DEFAULT_STUN_SERVERS, annTurn]);
    ann.setIceServers([{ urls: 'stun:stun.example.test:3478' }]);
    expect(await linkTo('cat')).toEqual([{ urls: 'stun:stun.example.test:3478' }, annTurn]);
    ann.setIceServers([]);
    expect(await linkTo('dan')).toEqual([annTurn]);
  });

  it("on the tests' loopback server: links get no ICE server at all, and still open", async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const [annWrtc, bobWrtc] = [recordingWrtc(), recordingWrtc()];
    const ann = await connected(server.wsUrl, 'ann', annWrtc, WebSocket as unknown as WebSocketConstructor);
    const bob = await connected(server.wsUrl, 'bob', bobWrtc, WebSocket as unknown as WebSocketConstructor);
    await ann.createLobby({ name: 'local' });
    await bob.joinLobby('local');
    await until(() => ann.isPeerConnected(bob.myId) && bob.isPeerConnected(ann.myId), 'the link');
    const configs = [...annWrtc.made, ...bobWrtc.made].map(({ config }) => config);
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const config of configs) expect(config.iceServers).toEqual([]);
  });
});
