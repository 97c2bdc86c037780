// `--redis URL` / CL5_REDIS_URL on the real CLI: a bad URL or an unreachable Redis is one clear line and
// a non-zero exit (never a hang); a good one from the environment joins the cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort } from '../helpers/debian-service.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { bundleServer, printedWsUrl, type ServerBundle } from '../helpers/server-process.js';
import { RawClient } from '../server/helpers.js';

let bundle: ServerBundle;
let redis: RedisServer;
beforeAll(async () => {
  [bundle, redis] = await Promise.all([bundleServer(), startRedis()]);
}, 300_000);
afterAll(async () => {
  bundle?.dispose();
  await redis?.stop();
});

describe('--redis', () => {
  it('refuses a URL that is not redis:// or rediss://, and says so', async () => {
    const server = bundle.run(['--port', '0', '--redis', 'http://user:secret@example.org']);
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('invalid --redis: http://user:***@example.org');
    expect(server.output()).not.toContain('secret');
  });

  it('exits with a clear error when Redis cannot be reached', async () => {
    const port = await freeTcpPort();
    const server = bundle.run(['--port', '0', '--redis', `redis://127.0.0.1:${port}`]);
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain(`cannot reach redis at redis://127.0.0.1:${port}`);
  });

  it('takes CL5_REDIS_URL from the environment and serves /readyz from Redis; --help lists the flags', async () => {
    const server = bundle.run(['--port', '0'], { CL5_REDIS_URL: redis.url });
    const wsUrl = await printedWsUrl(server);
    expect(server.output()).toContain('"event":"cluster.joined"');
    const client = await RawClient.open(`${wsUrl}?ugi=g`);
    expect((await client.request('INIT', { username: 'ann' })).opcode).toBe('INIT_OK');
    expect((await fetch(`${wsUrl.replace('ws:', 'http:')}readyz`)).status).toBe(200);
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    const help = bundle.run(['--help']);
    await help.exited;
    for (const flag of ['--redis URL', 'CL5_REDIS_URL', '--drain-timeout', 'CL5_DRAIN_TIMEOUT']) expect(help.output()).toContain(flag);
  });
});
