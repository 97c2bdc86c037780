// The CLI entry (src/server/main.ts), bundled the way build.mjs bundles it and run as a child
// process: flags and env, the printed URLs, and a graceful SIGTERM (1001 to clients, exit 0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer, printedWsUrl, waitFor, type ServerBundle, type ServerProcess } from '../helpers/server-process.js';
import { RawClient } from './helpers.js';

let bundle: ServerBundle;
beforeAll(async () => {
  bundle = await bundleServer();
});
afterAll(() => bundle.dispose());
const run = (args: string[], env: Record<string, string> = {}) => bundle.run(args, env);

const bounded = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);

describe('CLI', () => {
  it('starts from env, prints the URLs and JSON logs, and shuts down gracefully on SIGTERM', async () => {
    const server = run([], { CL5_HOST: '127.0.0.1', CL5_PORT: '0', CL5_ALLOWED_ORIGINS: 'https://turbowarp.org, https://example.com' });
    const wsUrl = await printedWsUrl(server);
    const base = wsUrl.replace('ws:', 'http:').replace(/\/$/, '');
    expect(server.output()).toContain(`${base}/cloudlink5.js`);
    const listening = server
      .output()
      .split('\n')
      .find((line) => line.includes('"server.listening"'))!;
    expect(JSON.parse(listening)).toMatchObject({ level: 'info', event: 'server.listening', time: expect.any(String) });

    // The origin list came from the environment (spaces trimmed).
    await expect(RawClient.open(wsUrl, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const client = await RawClient.open(wsUrl, { origin: 'https://example.com' });
    expect((await client.request('INIT', { username: 'ann' })).opcode).toBe('INIT_OK');
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ ok: true, players: 1 });

    server.child.kill('SIGTERM');
    expect((await client.closed(5000)).code).toBe(1001);
    expect(await bounded(server.exited, 5000, 'exit')).toBe(0);
  });

  it('takes --host/--port flags over env, and rejects a bad port', async () => {
    const server = run(['--host', '127.0.0.1', '--port', '0'], { CL5_PORT: '1' });
    await waitFor(() => (server.output().includes('Server URL') ? true : undefined), 'the banner');
    server.child.kill('SIGINT');
    expect(await bounded(server.exited, 5000, 'exit')).toBe(0);

    const bad = run(['--port', 'nope']);
    expect(await bounded(bad.exited, 5000, 'exit')).toBe(2);
    expect(bad.output()).toContain('invalid --port');

    const unknown = run(['--bogus']);
    expect(await bounded(unknown.exited, 5000, 'exit')).toBe(2);
    expect(unknown.output()).toContain('--help');

    const help = run(['--help']);
    expect(await bounded(help.exited, 5000, 'exit')).toBe(0);
    expect(help.output()).toContain('--allowed-origins');
  });

  it('hands out TURN credentials configured by --turn-* flags or CL5_TURN_* env, and refuses half a TURN setup', async () => {
    /** The TURN servers INIT_OK names, and their credential's lifetime as [least, most] seconds (a second may tick during INIT). */
    const handedOut = async (server: ServerProcess) => {
      const wsUrl = await printedWsUrl(server);
      const client = await RawClient.open(wsUrl);
      const before = Math.floor(Date.now() / 1000);
      const ok = (await client.request('INIT', { username: 'ann' }, 'INIT_OK')).payload as { ice_servers: { urls: string[]; username: string }[] };
      const after = Math.floor(Date.now() / 1000);
      client.ws.close();
      server.child.kill('SIGTERM');
      expect(await bounded(server.exited, 5000, 'exit')).toBe(0);
      const expiry = Number(ok.ice_servers[0]!.username.split(':')[0]);
      return { urls: ok.ice_servers[0]!.urls, lifetime: [expiry - after, expiry - before] };
    };
    const flags = run(['--port', '0', '--turn-url', 'turn:127.0.0.1:3478, turns:127.0.0.1:5349', '--turn-secret', 's', '--turn-ttl', '600']);
    const fromFlags = await handedOut(flags);
    expect(fromFlags.urls).toEqual(['turn:127.0.0.1:3478', 'turns:127.0.0.1:5349']);
    expect(fromFlags.lifetime[0]).toBeLessThanOrEqual(600);
    expect(fromFlags.lifetime[1]).toBeGreaterThanOrEqual(600);
    // The listening line names the TURN URLs, never the secret.
    expect(flags.output()).toContain('"turn":["turn:127.0.0.1:3478","turns:127.0.0.1:5349"]');
    expect(flags.output()).not.toContain('"s"');

    const fromEnv = await handedOut(run(['--port', '0'], { CL5_TURN_URL: 'turn:127.0.0.1:3478', CL5_TURN_SECRET: 's' }));
    expect(fromEnv.urls).toEqual(['turn:127.0.0.1:3478']);
    expect(fromEnv.lifetime[0]).toBeLessThanOrEqual(86_400);
    expect(fromEnv.lifetime[1]).toBeGreaterThanOrEqual(86_400);

    for (const [args, message] of [
      [['--turn-url', 'turn:127.0.0.1:3478'], '--turn-url needs --turn-secret'],
      [['--turn-secret', 's'], '--turn-secret needs --turn-url'],
      [['--turn-url', 'stun:127.0.0.1:3478', '--turn-secret', 's'], 'not a turn: or turns: URL'],
      [['--turn-url', 'turn:127.0.0.1:3478', '--turn-secret', 's', '--turn-ttl', 'soon'], 'credential lifetime'],
    ] as const) {
      const bad = run(['--port', '0', ...args]);
      expect(await bounded(bad.exited, 5000, 'exit')).toBe(2);
      expect(bad.output()).toContain(message);
    }
  });

  it('takes the connection caps and INIT deadline from flags or env, and refuses bad values', async () => {
    const server = run(['--port', '0', '--max-connections-per-address', '1', '--init-deadline', '0.2']);
    const wsUrl = await printedWsUrl(server);
    const first = await RawClient.open(wsUrl);
    const second = await RawClient.open(wsUrl);
    expect(await second.closed()).toEqual({ code: 1013, reason: 'too many connections from your address (limit 1)' });
    expect((await first.closed(5000)).reason).toBe('no INIT within 0.2 s');
    server.child.kill('SIGTERM');
    expect(await bounded(server.exited, 5000, 'exit')).toBe(0);

    const fromEnv = run(['--port', '0'], { CL5_MAX_CONNECTIONS: '1' });
    const envUrl = await printedWsUrl(fromEnv);
    const held = await RawClient.open(envUrl);
    expect((await held.request('INIT', { username: 'ann' })).opcode).toBe('INIT_OK');
    expect((await (await RawClient.open(envUrl)).closed()).reason).toBe('server full (limit 1 connections)');
    held.close();
    fromEnv.child.kill('SIGTERM');
    expect(await bounded(fromEnv.exited, 5000, 'exit')).toBe(0);

    for (const [args, message] of [
      [['--max-connections', '0'], 'invalid --max-connections: 0'],
      [['--max-connections-per-address', 'many'], 'invalid --max-connections-per-address'],
      [['--init-deadline=-1'], 'invalid --init-deadline: -1'],
      [['--rate-limit-per-address', '0'], 'invalid --rate-limit-per-address: 0'],
      [['--lobby-announce-interval', '0'], 'invalid --lobby-announce-interval: 0'],
      [['--lobby-announce-batch', '0'], 'invalid --lobby-announce-batch: 0'],
      [['--lobby-announce-cost=-1'], 'invalid --lobby-announce-cost: -1'],
      [['--lobby-announce-max-delay', '0.5'], 'invalid --lobby-announce-max-delay: 0.5 (seconds, at least --lobby-announce-interval)'],
      [['--fanout-rate', '0'], 'invalid --fanout-rate: 0'],
      [['--fanout-rate-per-address', 'lots'], 'invalid --fanout-rate-per-address: lots'],
      [['--join-signal-credit=-1'], 'invalid --join-signal-credit: -1'],
      [['--join-cooldown=-1'], 'invalid --join-cooldown: -1'],
      [['--max-incoming-kib', '64'], 'invalid --max-incoming-kib: 64 (a whole number ≥ 256)'],
      [['--message-deadline=-1'], 'invalid --message-deadline: -1'],
      [['--kib-per-address-per-second', 'lots'], 'invalid --kib-per-address-per-second: lots'],
    ] as const) {
      const bad = run(['--port', '0', ...args]);
      expect(await bounded(bad.exited, 5000, 'exit')).toBe(2);
      expect(bad.output()).toContain(message);
    }
    const badEnv = run(['--port', '0'], { CL5_KIB_PER_ADDRESS_PER_SECOND: '-5' });
    expect(await bounded(badEnv.exited, 5000, 'exit')).toBe(2);
    expect(badEnv.output()).toContain('invalid --kib-per-address-per-second: -5');
  });

  it('takes the join cooldown and the fan-out budget from flags or env', async () => {
    const server = run(['--port', '0', '--join-cooldown', '30'], { CL5_FANOUT_RATE: '1', CL5_LOBBY_ANNOUNCE_INTERVAL: '0.5' });
    const wsUrl = await printedWsUrl(server);
    const [ann, bob] = [await RawClient.open(wsUrl), await RawClient.open(wsUrl)];
    for (const [client, username] of [
      [ann, 'ann'],
      [bob, 'bob'],
    ] as const)
      expect((await client.request('INIT', { username })).opcode).toBe('INIT_OK');
    const create = (name: string) => ann.request('CREATE_LOBBY', { name, max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK');
    const join = () => bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
    expect((await create('room')).payload).toBe('ok');
    expect((await join()).payload).toBe('ok');
    expect((await bob.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK')).payload).toBe('ok');
    expect((await join()).payload).toMatch(/^joining too often: try again in (29|30) s$/);
    // A visible create counts as 20 messages: a budget of 1 a second (20 in all) allows one, then waits.
    expect((await ann.request('LEAVE_LOBBY', undefined, 'LEAVE_ACK')).payload).toBe('ok');
    expect((await create('second')).payload).toMatch(/^too many lobby changes: try again in \d+ s$/);
    for (const client of [ann, bob]) client.close();
    server.child.kill('SIGTERM');
    expect(await bounded(server.exited, 5000, 'exit')).toBe(0);
  });
});
