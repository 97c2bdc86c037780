// A real Redis for tests (Debian package `redis-server`), on a free port of 127.0.0.1, keeping nothing
// on disk (no RDB snapshots, no append-only file, its working folder removed by stop()):
//
//   const redis = await startRedis();   // beforeAll (allow for an install)
//   ... new Redis(redis.port, '127.0.0.1') ...
//   await redis.stop();                // afterAll
import { connect } from 'node:net';
import { pollUntil, startService } from './debian-service.js';

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
