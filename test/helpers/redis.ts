// A real Redis for tests (Debian package `redis-server`), on a free port of 127.0.0.1, keeping nothing
// on disk (no RDB snapshots, no append-only file, its working folder removed by stop()):
//
//   const redis = await startRedis();   // beforeAll (allow for an install)
//   ... new Redis(redis.port, '127.0.0.1') ...
//   await redis.stop();                // afterAll
// or `const redis = redisForTests();` at the top of a file or describe, which registers both hooks.
import { connect } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { pollUntil, startService } from './debian-service.js';

/** The first start may apt-install redis-server. */
export const INSTALL_MS = 300_000;

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** One PING on a fresh connection: true when it answers +PONG (a loading Redis answers -LOADING). */
const pong = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += String(chunk);
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });

/** `port`: start on this one (a restart of a stopped server), else a free one. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const service = await startService({
    ...(port === undefined ? {} : { port: async () => port }),
    label: 'redis-server',
    command: 'redis-server',
    debianPackage: 'redis-server',
    neededFor: 'the Redis lobby store tests',
    // biome-ignore format: one option per line reads best
    args: (port, dir) => [
      '--port', String(port), '--bind', '127.0.0.1',
      '--dir', dir, '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--logfile', '',
    ],
    ready: (port, exited) => pollUntil(() => pong(port), exited, `redis-server did not answer PING on 127.0.0.1:${port}`),
  });
  return { port: service.port, url: `redis://127.0.0.1:${service.port}`, stop: service.stop };
}

/** One redis-server for the tests of this file or describe: started before them (allowing for an install), stopped after. */
export function redisForTests(): { readonly url: string } {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  }, INSTALL_MS);
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    get url() {
      if (!redis) throw new Error('redisForTests: redis-server is not started yet (read url in a test or hook)');
      return redis.url;
    },
  };
}
