// CL5 players for the signalling benchmarks, on the raw-socket client (raw-ws.mjs): pairs in a lobby of
// two (each player on the server port it is given: two ports are two nodes of a cluster), the ICE
// signal frame the relay benchmarks send, and one "meeting" (the churn cycle).
import { clientFrame, next, open, request } from './raw-ws.mjs';

export const SDP = 'a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0 ufrag abcd network-id 1 '.repeat(3);
const OFFER = { type: 'offer', sdp: SDP };
const ANSWER = { type: 'answer', sdp: SDP };
export const isOpcode = (opcode) => (p) => p.opcode === opcode;

/** One INIT'ed player on `port` (`options` of raw-ws open, e.g. its localAddress): { client, id }. */
export async function player(port, username, game = 'bench', options = {}) {
  const client = await open(port, `/?ugi=${game}`, options);
  const ok = await request(client, { opcode: 'INIT', payload: { username } }, isOpcode('INIT_OK'));
  return { client, id: ok.payload.instance_id };
}

const lobbySettings = (name) => ({ name, max_players: 2, password: '', locked: false, enable_relay: false });

/**
 * The pair adapter of signal-load.mjs for CL5: `a` on `ports[0]` creates lobby `pair<i>`, `b` on `ports[1]` joins it,
 * in `game` (one game per pair keeps a create from announcing NEW_LOBBY to every idle player of the others).
 */
export const cl5 = {
  async pair(ports, i, game = 'bench') {
    const [portA, portB = portA] = ports;
    const a = await player(portA, `a${i}`, game);
    const b = await player(portB, `b${i}`, game);
    const created = await request(a.client, { opcode: 'CREATE_LOBBY', payload: lobbySettings(`pair${i}`) }, isOpcode('CREATE_ACK'));
    const joined = await request(b.client, { opcode: 'JOIN_LOBBY', payload: { name: `pair${i}`, password: '' } }, isOpcode('JOIN_ACK'));
    if (created.payload !== 'ok' || joined.payload !== 'ok') throw new Error(`pair ${i}: ${created.payload} / ${joined.payload}`);
    return [a, b];
  },
  signal: (to, sentAt) => clientFrame(`{"opcode":"ICE","recipient":"${to}","payload":{"type":0,"contents":{"candidate":"${SDP}","sentAt":${sentAt}}}}`),
};

/** Two players who left their first lobby, ready to meet again and again (the churn's workers). */
export async function meetingPair(ports, w, game = 'bench') {
  const [a, b] = await cl5.pair(ports, `churn${w}`, game);
  await request(b.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
  await request(a.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
  return [a, b];
}

/** One meeting: a creates a lobby, b joins, MAKE_OFFER and MAKE_ANSWER relayed, b leaves, a leaves. */
export async function meet([a, b], name) {
  await request(a.client, { opcode: 'CREATE_LOBBY', payload: lobbySettings(name) }, isOpcode('CREATE_ACK'));
  await request(b.client, { opcode: 'JOIN_LOBBY', payload: { name, password: '' } }, isOpcode('JOIN_ACK'));
  const offered = next(b.client, isOpcode('MAKE_OFFER'));
  a.client.send(JSON.stringify({ opcode: 'MAKE_OFFER', recipient: b.id, payload: { type: 0, contents: OFFER } }));
  await offered;
  const answered = next(a.client, isOpcode('MAKE_ANSWER'));
  b.client.send(JSON.stringify({ opcode: 'MAKE_ANSWER', recipient: a.id, payload: { type: 0, contents: ANSWER } }));
  await answered;
  await request(b.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
  await request(a.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
}
