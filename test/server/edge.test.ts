// The server's edge: signal relay rules, malformed input, limits, dead sockets, HTTP, origins.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../src/protocol/index.js';
import { serverPerTest } from '../helpers/served.js';
import { barrier, RawClient } from './helpers.js';

const served = serverPerTest();
const { serve, clients } = served;

async function player(username: string, options: ConstructorParameters<typeof Object>[0] = {}): Promise<RawClient & { id: string }> {
  const client = (await RawClient.open(served.server.wsUrl, options)) as RawClient & { id: string };
  clients.push(client);
  const ok = await client.request('INIT', { username }, 'INIT_OK');
  client.id = (ok.payload as { instance_id: string }).instance_id;
  return client;
}

/** A GET with this exact request target (fetch would normalise it), from `from`, answered as raw text. */
function rawGet(port: number, target: string, from = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from }, () =>
      socket.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text)).on('error', reject);
  });
}

/** A kept-alive HTTP/1.1 connection from `from`: `ask(targets)` writes their requests at once (pipelined), `answer()` reads the next whole answer (null once closed). */
function keptConnection(port: number, from: string) {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  let buffered = '';
  let closed = false;
  let wake: (() => void) | null = null;
  socket
    .setEncoding('utf8')
    .on('data', (chunk: string) => {
      buffered += chunk;
      wake?.();
    })
    .on('close', () => {
      closed = true;
      wake?.();
    })
    .on('error', () => {});
  const answer = async (): Promise<string | null> => {
    for (;;) {
      const head = buffered.indexOf('\r\n\r\n');
      const length = head < 0 ? 0 : Number(/\r\ncontent-length: (\d+)/i.exec(buffered.slice(0, head))?.[1] ?? 0);
      if (head >= 0 && buffered.length >= head + 4 + length) {
        const text = buffered.slice(0, head + 4 + length);
        buffered = buffered.slice(head + 4 + length);
        return text;
      }
      if (closed) return null;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  };
  const ask = (...targets: string[]) => socket.write(targets.map((t) => `GET ${t} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join(''));
  return { socket, ask, answer, closed: () => closed };
}

async function pair(): Promise<[RawClient & { id: string }, RawClient & { id: string }]> {
  const ann = await player('ann');
  const bob = await player('bob');
  await ann.request('CREATE_LOBBY', { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK');
  await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
  await ann.next('NEW_PEER');
  ann.received.length = 0;
  bob.received.length = 0;
  return [ann, bob];
}

describe('signal relay', () => {
  it('relays MAKE_OFFER / MAKE_ANSWER / ICE within a lobby with a server-stamped origin', async () => {
    await serve();
    const [ann, bob] = await pair();
    for (const opcode of ['MAKE_OFFER', 'MAKE_ANSWER', 'ICE']) {
      const contents = { type: 'offer', sdp: `sdp-${opcode}` };
      ann.send({ opcode, payload: { type: 0, contents }, recipient: bob.id, origin: { instance_id: 'forged', username: 'mallory' } });
      const got = await bob.next(opcode);
      expect(got.payload).toEqual({ type: 0, contents });
      expect(got.origin).toEqual({ instance_id: ann.id, user_id: expect.any(String), username: 'ann' });
    }
    // Ciphertext pairs pass through untouched.
    bob.send({ opcode: 'ICE', payload: { type: 1, contents: ['Y3Q=', 'aXY='] }, recipient: ann.id });
    expect((await ann.next('ICE')).payload).toEqual({ type: 1, contents: ['Y3Q=', 'aXY='] });
  });

  it("forwards a signal with exactly one origin, the server's; a sender's listener or extra fields are not passed on", async () => {
    await serve();
    const [ann, bob] = await pair();
    const frames: string[] = [];
    bob.ws.on('message', (data) => frames.push(String(data)));
    // Sent as written (whitespace around it), with a listener, and with a field the envelope does not have.
    ann.send(` {"opcode":"ICE","recipient":"${bob.id}","payload":{"type":0,"contents":{"candidate":"c1"}}} \n`);
    ann.send({ opcode: 'ICE', recipient: bob.id, payload: { type: 0, contents: { candidate: 'c2' } }, listener: 'ann-1' });
    ann.send({ opcode: 'ICE', recipient: bob.id, payload: { type: 0, contents: { candidate: 'c3' } }, note: 'extra' });
    for (const candidate of ['c1', 'c2', 'c3']) {
      const got = await bob.next('ICE');
      expect(got.payload).toEqual({ type: 0, contents: { candidate } });
      expect(got.origin).toEqual({ instance_id: ann.id, user_id: expect.any(String), username: 'ann' });
      expect(got.listener).toBeUndefined();
    }
    expect(frames.map((text) => text.split('"origin"').length - 1)).toEqual([1, 1, 1]);
    expect(frames.join('\n')).not.toMatch(/ann-1|extra/);
  });

  it('refuses signals to players outside my lobby, to myself, or without a recipient', async () => {
    await serve();
    const [ann, bob] = await pair();
    const outsider = await player('out');
    const signal = { type: 0, contents: {} };
    expect(await ann.request('MAKE_OFFER', signal, 'WARNING', { recipient: outsider.id })).toMatchObject({ payload: 'peer invalid' });
    expect(await ann.request('MAKE_OFFER', signal, 'WARNING', { recipient: ann.id })).toMatchObject({ payload: 'peer invalid' });
    expect(await ann.request('ICE', signal, 'WARNING')).toMatchObject({ payload: 'peer invalid' });
    expect(await outsider.request('ICE', signal, 'WARNING', { recipient: bob.id })).toMatchObject({ payload: 'peer invalid' });
    await barrier(bob);
    expect(outsider.opcodes()).toEqual([]);
    expect(bob.opcodes()).not.toContain('ICE');
  });
});

describe('malformed input', () => {
  it('answers bad JSON, wrong types and unknown opcodes with a WARNING and keeps serving everyone', async () => {
    await serve();
    const [ann, bob] = await pair();
    ann.send('{not json');
    expect((await ann.next('WARNING')).payload).toBe('packet is not valid JSON');
    ann.send('"just a string"');
    expect((await ann.next('WARNING')).payload).toBe('packet must be a JSON object');
    ann.send({ opcode: 'SELF_DESTRUCT', listener: 'x1' });
    expect(await ann.next('WARNING')).toMatchObject({ payload: 'unknown opcode "SELF_DESTRUCT"', listener: 'x1' });
    ann.send({ opcode: 'FIND_LOBBY', payload: { name: 'room' } });
    expect((await ann.next('WARNING')).payload).toBe('payload must be a string');
    ann.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await ann.next('WARNING')).payload).toContain('binary frames are not supported');
    expect((await ann.request('LIST_LOBBIES')).payload).toEqual(['room']);
    expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ current_players: 2 });
  });

  it('closes a frame above the limit with VIOLATION and 1009 while it is still arriving; its seat is released, the lobby goes on', async () => {
    // Resume grace on (the default 30 s): an oversized frame is a violation, so the seat is not held.
    await serve();
    const [ann, bob] = await pair();
    ann.send({ opcode: 'FIND_LOBBY', payload: 'x'.repeat(MAX_FRAME_BYTES) });
    expect((await ann.closed()).code).toBe(1009);
    expect((await ann.next('VIOLATION')).payload).toBe(`frame too large: over ${MAX_FRAME_BYTES} bytes`);
    expect((await bob.next('TRANSITION')).payload).toBe('host');
    expect((await bob.next('PEER_LEFT')).payload).toBe(ann.id);
    expect((await bob.request('KEEPALIVE')).opcode).toBe('KEEPALIVE_ACK');
    // The limit is exact: a frame of exactly MAX_FRAME_BYTES is read (and refused for its long name, not its size).
    const padding = MAX_FRAME_BYTES - JSON.stringify({ opcode: 'FIND_LOBBY', payload: '' }).length;
    const frame = JSON.stringify({ opcode: 'FIND_LOBBY', payload: 'y'.repeat(padding) });
    expect(frame.length).toBe(MAX_FRAME_BYTES);
    bob.send(frame);
    expect((await bob.next('WARNING')).payload).toContain('characters long');
    expect(bob.closeInfo).toBeNull();
  });

  it('rate-limits a flood: WARNINGs first, then VIOLATION and 1008; others unaffected', async () => {
    await serve({ rateLimit: { perSecond: 10, burst: 20, strikesBeforeViolation: 30 } });
    const [ann, bob] = await pair();
    for (let i = 0; i < 80; i += 1) ann.send({ opcode: 'KEEPALIVE' });
    expect((await ann.next('WARNING')).payload).toBe('rate limited: slow down');
    expect((await ann.next('VIOLATION')).payload).toContain('rate limit');
    expect((await ann.closed()).code).toBe(1008);
    // The one WARNING was taken above: refusals nobody waits for (no listener) are answered once a second, not each.
    expect(ann.received.filter((p) => p.opcode === 'WARNING')).toHaveLength(0);
    const acks = ann.received.filter((p) => p.opcode === 'KEEPALIVE_ACK').length;
    expect(acks).toBeGreaterThanOrEqual(18);
    expect(acks).toBeLessThan(30);
    expect((await bob.request('KEEPALIVE')).opcode).toBe('KEEPALIVE_ACK');
  });
});

describe('the budget of an address', () => {
  it('is shared by all connections from one address, and a new connection does not refill it', async () => {
    // Each connection alone may send 20 at once; the address, all of them together, 40.
    await serve({ rateLimit: { perSecond: 5, burst: 20, strikesBeforeViolation: 1000 }, addressRateLimit: { perSecond: 5, burst: 40 } });
    const flooders = [await player('a'), await player('b'), await player('c'), await player('d')];
    // Each with a listener: a refused request is answered (its sender waits for the reply).
    for (const flooder of flooders) for (let i = 0; i < 20; i += 1) flooder.send({ opcode: 'KEEPALIVE', listener: `k${i}` });
    let acks = 0;
    for (const flooder of flooders) {
      await flooder.until(() => flooder.received.length >= 20, 'an answer to each KEEPALIVE');
      acks += flooder.received.filter((p) => p.opcode === 'KEEPALIVE_ACK').length;
      expect(flooder.received.filter((p) => p.opcode !== 'KEEPALIVE_ACK').every((p) => p.payload === 'rate limited: slow down')).toBe(true);
    }
    // 40 less the 4 INITs, plus what refilled meanwhile (5/s): far below the 80 the connections alone allow.
    expect(acks).toBeGreaterThanOrEqual(36);
    expect(acks).toBeLessThan(50);
    // A fresh connection from the same address starts with the address's spent budget.
    const fresh = await RawClient.open(served.server.wsUrl);
    clients.push(fresh);
    for (let i = 0; i < 20; i += 1) fresh.send({ opcode: 'KEEPALIVE', listener: `k${i}` });
    await fresh.until(() => fresh.received.length >= 20, 'an answer to each KEEPALIVE');
    expect(fresh.received.filter((p) => p.payload === 'rate limited: slow down').length).toBeGreaterThan(10);
  });
});

describe('limits on binary frames', () => {
  it('counts binary frames against the rate limit and the size limit too', async () => {
    await serve({ rateLimit: { perSecond: 1, burst: 5, strikesBeforeViolation: 5 } });
    const [ann, bob] = await pair();
    for (let i = 0; i < 20; i += 1) ann.ws.send(Buffer.from([i]), { binary: true });
    expect((await ann.next('VIOLATION')).payload).toContain('rate limit');
    expect((await ann.closed()).code).toBe(1008);
    // Everything before the VIOLATION has arrived by now (one ordered stream).
    const warnings = ann.received.filter((p) => p.opcode === 'WARNING').map((p) => p.payload);
    expect(warnings[0]).toContain('binary frames are not supported');
    expect(warnings).toContain('rate limited: slow down');
    expect((await bob.request('KEEPALIVE')).opcode).toBe('KEEPALIVE_ACK');

    const big = await player('cat');
    big.ws.send(Buffer.alloc(MAX_FRAME_BYTES + 1), { binary: true });
    expect((await big.closed()).code).toBe(1009);
    expect((await big.next('VIOLATION')).payload).toContain('frame too large');
  });
});

describe('liveness', () => {
  it('drops a socket that stops answering pings and, once its seat is no longer held, tells its lobby', async () => {
    await serve({ pingIntervalMs: 100, resumeGraceMs: 200 });
    const ann = await player('ann', { autoPong: false });
    const bob = await player('bob');
    await ann.request('CREATE_LOBBY', { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK');
    await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    expect((await bob.next('PEER_LEFT', 2000)).payload).toBe(ann.id);
    expect(await ann.closed()).toBeTruthy();
    // bob answers pings (ws does by default) and stays: the server pings only a socket that answered
    // its previous ping, so three more pings are three liveness checks bob passed.
    const pings = bob.pings;
    await bob.until(() => bob.pings >= pings + 3, 'three more pings', 5000);
    expect(bob.closeInfo).toBeNull();
    expect((await bob.request('FIND_LOBBY', 'room')).payload).toMatchObject({ host: { instance_id: bob.id } });
  });
});

describe('HTTP', () => {
  it('serves the status page, health check and the extension with CORS', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cl5-ext-'));
    const extensionFile = path.join(dir, 'cloudlink5.js');
    writeFileSync(extensionFile, '/* extension */');
    try {
      await serve({ extensionFile });
      await pair();
      const status = await fetch(`${served.server.url}/`);
      expect(status.status).toBe(200);
      const html = await status.text();
      expect(html).toContain('CloudLink 5 server');
      expect(html).toContain('room (2)');
      expect(html).toContain('/cloudlink5.js');

      const health = await (await fetch(`${served.server.url}/healthz`)).json();
      expect(health).toMatchObject({ ok: true, players: 2, lobbies: 1 });

      const ext = await fetch(`${served.server.url}/cloudlink5.js`, { headers: { Origin: 'https://turbowarp.org' } });
      expect(ext.status).toBe(200);
      expect(ext.headers.get('access-control-allow-origin')).toBe('*');
      expect(ext.headers.get('content-type')).toContain('javascript');
      expect(await ext.text()).toBe('/* extension */');

      // Cheap revalidation: the ETag answers 304 with the CORS header still present.
      const etag = ext.headers.get('etag')!;
      expect(etag).toBeTruthy();
      expect(ext.headers.get('cache-control')).toBe('no-cache');
      expect(ext.headers.get('last-modified')).toBeTruthy();
      const again = await fetch(`${served.server.url}/cloudlink5.js`, { headers: { 'If-None-Match': etag } });
      expect(again.status).toBe(304);
      expect(again.headers.get('access-control-allow-origin')).toBe('*');
      writeFileSync(extensionFile, '/* rebuilt */');
      const rebuilt = await fetch(`${served.server.url}/cloudlink5.js`, { headers: { 'If-None-Match': etag } });
      expect(rebuilt.status).toBe(200);
      expect(await rebuilt.text()).toBe('/* rebuilt */');
      const head = await fetch(`${served.server.url}/cloudlink5.js`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      const preflight = await fetch(`${served.server.url}/cloudlink5.js`, { method: 'OPTIONS' });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');

      expect((await fetch(`${served.server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${served.server.url}/`, { method: 'POST' })).status).toBe(405);

      // Every response says nosniff and no-referrer; the status page also has a CSP that allows no script.
      for (const res of [status, ext, again, preflight]) {
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      }
      expect(status.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(status.headers.get('content-security-policy')).not.toContain('script-src');
      expect(status.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 400 to a request target that is not a path (GET //, //host, *), and keeps serving', async () => {
    await serve();
    for (const target of ['//', '//evil.example:80/x', '*', 'http://x/']) {
      const answer = await rawGet(served.server.port, target);
      expect(answer, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('malformed URL');
    }
    expect((await fetch(`${served.server.url}/healthz`)).status).toBe(200);
  });

  it('refuses an address past its HTTP request budget with 429 and the wait, then closes its connections unread while it is in debt; other addresses are served', async () => {
    // A token every 5 s: however slowly this machine runs the requests, none is refilled meanwhile.
    await serve({ httpRequests: { perSecond: 0.2, burst: 5 } });
    const ann = await player('ann');
    for (let i = 0; i < 5; i += 1) expect(await rawGet(served.server.port, '/healthz')).toMatch(/^HTTP\/1\.1 200 /);
    const refused = await rawGet(served.server.port, '/');
    expect(refused).toMatch(/^HTTP\/1\.1 429 /);
    expect(refused).toMatch(/\r\nRetry-After: (9|10)\r\n/i);
    expect(refused).toMatch(/\r\nConnection: close\r\n/i);
    expect(refused).toMatch(/too many requests: try again in (9|10) s/);
    // In debt: its next connections are closed before anything is read, a WebSocket's too.
    for (const target of ['/healthz', '/cloudlink5.js']) expect(await rawGet(served.server.port, target).catch(() => '')).toBe('');
    await expect(RawClient.open(served.server.wsUrl)).rejects.toThrow();
    // Another address is served, and a connection that was open before goes on.
    expect(await rawGet(served.server.port, '/healthz', '127.0.0.2')).toMatch(/^HTTP\/1\.1 200 /);
    const bob = (await RawClient.open(served.server.wsUrl, { localAddress: '127.0.0.2' })) as RawClient;
    clients.push(bob);
    expect((await bob.request('INIT', { username: 'bob' }, 'INIT_OK')).opcode).toBe('INIT_OK');
    expect((await ann.request('KEEPALIVE', undefined, 'KEEPALIVE_ACK')).opcode).toBe('KEEPALIVE_ACK');
  });

  it('keeps a refused connection open but reads nothing from it until the wait is over; a request pipelined behind the refused one closes it', async () => {
    // A token every 2 s: the burst of 3 is not refilled while the requests run, and the refusal's wait is ~4 s.
    await serve({ httpRequests: { perSecond: 0.5, burst: 3 } });
    const kept = keptConnection(served.server.port, '127.0.0.3');
    const piped = keptConnection(served.server.port, '127.0.0.4');
    try {
      for (let i = 0; i < 3; i += 1) {
        kept.ask('/healthz');
        expect(await kept.answer()).toMatch(/^HTTP\/1\.1 200 /);
      }
      kept.ask('/healthz');
      const refused = await kept.answer();
      const refusedAt = performance.now();
      expect(refused).toMatch(/^HTTP\/1\.1 429 /);
      expect(refused).toMatch(/\r\nRetry-After: (3|4)\r\n/i);
      expect(refused).not.toMatch(/\r\nConnection: close\r\n/i);
      // Asked again at once on the same connection: read, and answered, only once the wait is over.
      kept.ask('/healthz');
      expect(await kept.answer()).toMatch(/^HTTP\/1\.1 200 /);
      expect(performance.now() - refusedAt).toBeGreaterThanOrEqual(2000);
      expect(kept.closed()).toBe(false);

      // Five at once from another address: the three the budget allows, one 429, and the fifth closes the connection unanswered.
      piped.ask('/healthz', '/healthz', '/healthz', '/healthz', '/healthz');
      const answers: string[] = [];
      for (let answer = await piped.answer(); answer !== null; answer = await piped.answer()) answers.push(answer.slice(0, 12));
      expect(answers.length).toBeLessThanOrEqual(4);
      expect(answers).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 429'].slice(0, answers.length));
      expect(piped.closed()).toBe(true);
      // Others are served meanwhile.
      expect(await rawGet(served.server.port, '/healthz', '127.0.0.5')).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      kept.socket.destroy();
      piped.socket.destroy();
    }
  });

  it("behind a proxy (trustProxy) closes a refused connection instead: it carries other clients' requests", async () => {
    await serve({ trustProxy: true, httpRequests: { perSecond: 0.2, burst: 1 } });
    const proxy = keptConnection(served.server.port, '127.0.0.3');
    try {
      proxy.ask('/healthz', '/healthz');
      expect(await proxy.answer()).toMatch(/^HTTP\/1\.1 200 /);
      const refused = await proxy.answer();
      expect(refused).toMatch(/^HTTP\/1\.1 429 /);
      expect(refused).toMatch(/\r\nConnection: close\r\n/i);
      expect(await proxy.answer()).toBeNull();
    } finally {
      proxy.socket.destroy();
    }
  });

  it('reads the store for the status page and /healthz at most once a second, and names at most 20 lobbies a game', async () => {
    await serve();
    const store = served.server.store;
    for (let i = 0; i < 25; i += 1) {
      const host = { instance_id: `host-${i}`, user_id: `host-${i}`, username: `host${i}` };
      await store.addPlayer('big', host);
      await store.create('big', `room-${String(i).padStart(2, '0')}`, host, {
        maxPlayers: -1,
        password: null,
        locked: false,
        hidden: false,
        relayEnabled: false,
      });
    }
    let reads = 0;
    let lobbyPages = 0;
    const games = store.games.bind(store);
    store.games = async () => {
      reads += 1;
      return games();
    };
    const listMatching = store.listMatching.bind(store);
    store.listMatching = async (...args) => {
      lobbyPages += 1;
      return listMatching(...args);
    };
    // Health checks need the counts only: no game's lobbies are read for them.
    expect(await rawGet(served.server.port, '/healthz')).toContain('"players":25,"lobbies":25');
    expect(lobbyPages).toBe(0);
    const pages = await Promise.all(Array.from({ length: 10 }, (_, i) => rawGet(served.server.port, i % 2 ? '/' : '/healthz')));
    for (const page of pages) expect(page).toMatch(/^HTTP\/1\.1 200 /);
    expect(reads).toBeLessThanOrEqual(2);
    expect(lobbyPages).toBeLessThanOrEqual(2);
    const html = pages[1]!;
    expect(html).toContain('room-00 (1)');
    expect(html).toContain('room-19 (1)');
    expect(html).not.toContain('room-20');
    expect(html).toContain('5 more');
    expect(pages[0]).toContain('"players":25,"lobbies":25');
  });

  it('answers 404 for the extension when it has not been built', async () => {
    await serve({ extensionFile: path.join(tmpdir(), 'cl5-missing', 'cloudlink5.js') });
    const res = await fetch(`${served.server.url}/cloudlink5.js`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('npm run build');
    const health = await (await fetch(`${served.server.url}/healthz`)).json();
    expect(health).toMatchObject({ ok: true, players: 0, lobbies: 0, uptime: expect.any(Number) });
  });

  it('escapes names on the status page and does not name hidden lobbies', async () => {
    await serve();
    const ann = await player('ann');
    await ann.request('CREATE_LOBBY', { name: '<b>x</b>', max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK');
    const bob = await player('bob');
    await bob.request('CREATE_LOBBY', { name: 'secret-room', max_players: -1, password: '', locked: false, hidden: true, enable_relay: false }, 'CREATE_ACK');
    const html = await (await fetch(`${served.server.url}/`)).text();
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&#60;b&#62;x&#60;/b&#62;');
    // Hidden lobbies are counted, never named, on the public page.
    expect(html).not.toContain('secret-room');
    expect(html).toContain('1 hidden');
  });

  it('refuses WebSocket upgrades from origins not allowed', async () => {
    await serve({ allowedOrigins: ['https://turbowarp.org'] });
    await expect(RawClient.open(served.server.wsUrl, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    // No Origin header at all (a non-browser client) is refused too once a list is configured.
    await expect(RawClient.open(served.server.wsUrl)).rejects.toThrow(/403/);
    const ok = await RawClient.open(served.server.wsUrl, { origin: 'https://turbowarp.org' });
    clients.push(ok);
    expect((await ok.request('INIT', { username: 'ann' })).opcode).toBe('INIT_OK');
  });
});
