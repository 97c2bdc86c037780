// Requests resume on the state they caused: after each awaited create, join, transfer, kick, leave
// and close, the client's own view (mode, host, lobby, players) already shows the result. Real
// server, WebSocket messages delivered one task each as in a browser, and links that start and are
// dropped around each request; they never connect (test/helpers/idle-wrtc.ts): real WebRTC closed
// mid-negotiation a hundred times a test can crash the process. Links that open and close around
// lobby changes are tested with real WebRTC in test/mesh/quiet-leave.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { CloudLinkError } from '../../src/client/errors.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { CHURN_LIMITS_OFF } from '../helpers/churn-limits.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { idleWrtc } from '../helpers/idle-wrtc.js';
import { silentLogger } from '../helpers/logger.js';
import { TaskPerMessageWebSocket } from '../helpers/task-per-message-ws.js';
import { until } from '../helpers/until.js';

const CYCLES = 50;

let server: RunningServer;
let clients: CloudLinkClient[];
let errors: CloudLinkError[];

async function connected(username: string): Promise<CloudLinkClient> {
  // Links are made and dropped every cycle, long before they could open: a stand-in that never connects (see idle-wrtc.ts).
  const client = new CloudLinkClient({ WebSocket: TaskPerMessageWebSocket as unknown as WebSocketConstructor, wrtc: idleWrtc, keepaliveMs: 0 });
  client.on('error', (error) => errors.push(error));
  clients.push(client);
  await client.connect({ url: server.wsUrl, username, ugi: 'state' });
  return client;
}

/** The part of a client's state the blocks read. */
const view = (client: CloudLinkClient) => ({ mode: client.mode, isHost: client.isHost, lobby: client.lobby, hostId: client.hostId, players: client.players() });

beforeEach(async () => {
  // Fifty cycles as fast as a script can run them: more packets than a real player's rate limit lets through.
  server = await startServer({ host: '127.0.0.1', port: 0, logger: silentLogger, ...CHURN_LIMITS_OFF });
  clients = [];
  errors = [];
});
afterEach(async () => {
  for (const client of clients) client.disconnect();
  await server.close();
});

describe('lobby requests resume on the state they caused', () => {
  it(`create, join, transfer, kick and leave: ${CYCLES} cycles, no stale read`, async () => {
    const ann = await connected('ann');
    const bob = await connected('bob');
    const stale: string[] = [];
    const expectView = (cycle: number, step: string, client: CloudLinkClient, expected: ReturnType<typeof view>) => {
      const actual = view(client);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) stale.push(`${cycle} ${step}: ${JSON.stringify(actual)}`);
    };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const name = `room ${cycle}`;
      await ann.createLobby({ name });
      expectView(cycle, 'create', ann, { mode: 'host', isHost: true, lobby: name, hostId: ann.myId, players: [] });
      await bob.joinLobby(name);
      expectView(cycle, 'join', bob, { mode: 'peer', isHost: false, lobby: name, hostId: ann.myId, players: [ann.myId] });
      // Bob is in Ann's players once the server told her (NEW_PEER); nothing she awaited announced it.
      await until(() => ann.players().includes(bob.myId), 'bob in ann players');
      await ann.transferHost(bob.myId);
      expectView(cycle, 'transfer', ann, { mode: 'peer', isHost: false, lobby: name, hostId: bob.myId, players: [bob.myId] });
      await until(() => bob.isHost, 'bob is host');
      await bob.kick(ann.myId);
      expectView(cycle, 'kick', bob, { mode: 'host', isHost: true, lobby: name, hostId: bob.myId, players: [] });
      await until(() => ann.mode === '', 'ann out of the lobby');
      await bob.leaveLobby();
      expectView(cycle, 'leave', bob, { mode: '', isHost: false, lobby: '', hostId: '', players: [] });
    }
    expect(stale).toEqual([]);
    // Ann was kicked every cycle: that is her only error (links closed by the kick or the leave are not errors).
    expect(errors.filter((error) => error.code !== 'kicked').map((error) => error.message)).toEqual([]);
    expect(errors.length).toBe(CYCLES);
  }, 120_000);

  it(`leave as host and close: ${CYCLES} cycles, no stale read`, async () => {
    const ann = await connected('ann');
    const bob = await connected('bob');
    const stale: string[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const name = `room ${cycle}`;
      await ann.createLobby({ name });
      await bob.joinLobby(name);
      await until(() => ann.players().includes(bob.myId), 'bob in ann players');
      if (cycle % 2 === 0) {
        await ann.leaveLobby();
        if (ann.mode !== '' || ann.lobby !== '' || ann.players().length !== 0) stale.push(`${cycle} leave: ${JSON.stringify(view(ann))}`);
        await until(() => bob.isHost, 'bob becomes host');
        await bob.leaveLobby();
      } else {
        await ann.closeLobby();
        if (ann.mode !== '' || ann.lobby !== '' || ann.isHost) stale.push(`${cycle} close: ${JSON.stringify(view(ann))}`);
        await until(() => bob.mode === '', 'bob out of the closed lobby');
      }
      if (bob.mode !== '' || bob.lobby !== '') stale.push(`${cycle} bob after: ${JSON.stringify(view(bob))}`);
    }
    expect(stale).toEqual([]);
    expect(errors.map((error) => error.message)).toEqual([]);
  }, 120_000);

  it('a request whose reply came but not its state change rejects with not-connected when the socket closes', async () => {
    const ann = await connected('ann');
    // The server answers CREATE_ACK, then TRANSITION: close the socket as the reply arrives, before TRANSITION is read.
    const session = ann.mesh
      ? (ann as unknown as { connection: { session: { on: (event: string, listener: () => void) => () => void } } }).connection.session
      : null;
    expect(session).not.toBeNull();
    session!.on('CREATE_ACK', () => ann.disconnect());
    await expect(ann.createLobby({ name: 'gone' })).rejects.toMatchObject({ code: 'not-connected' });
    expect(ann.mode).toBe('');
  });
});
