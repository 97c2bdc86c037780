// A real TURN server for tests: coturn (Debian package `coturn`, binary `turnserver`), started on a
// free port of 127.0.0.1 with the TURN REST shared-secret scheme, and stopped by the test:
//
//   const turn = await startCoturn({ secret: 'test-secret' });   // beforeAll (allow for an install)
//   ... startServer({ turn: { urls: [turn.url], secret: turn.secret } }) ...
//   await turn.stop();                                          // afterAll
//
// It reads no system config file, writes only into its own temporary folder (log, pid, sqlite db),
// which stop() removes. When `turnserver` is missing it is installed with apt (we are root on the
// dev and CI machines); when that cannot work, the error is one line naming what to install.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pollUntil, startService } from './debian-service.js';

export interface Coturn {
  /** `turn:127.0.0.1:PORT` (UDP and TCP). */
  url: string;
  port: number;
  secret: string;
  realm: string;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

const COTURN = { label: 'coturn', command: 'turnserver', debianPackage: 'coturn', neededFor: 'the TURN tests' };

/** A port free on 127.0.0.1 for both UDP and TCP (TURN listens on both). */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve(udp.address().port));
    });
    const tcp = createServer();
    const tcpFree = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    udp.close();
    if (tcpFree) return port;
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1');
}

/** Sends STUN Binding requests (RFC 5389) until one is answered: the server is up. Bounded. */
async function stunAnswers(port: number, exited: () => string | null): Promise<void> {
  const socket = createSocket('udp4');
  const transaction = randomBytes(12);
  const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), transaction]);
  let answered = false;
  socket.on('message', (message) => {
    // A Binding success response (0x0101) for our transaction.
    if (message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transaction)) answered = true;
  });
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    await pollUntil(
      async () => {
        if (!answered) socket.send(request, port, '127.0.0.1');
        return answered;
      },
      exited,
      `coturn did not answer STUN on 127.0.0.1:${port}`,
    );
  } finally {
    socket.close();
  }
}

export async function startCoturn(options: { secret: string; realm?: string }): Promise<Coturn> {
  const realm = options.realm ?? 'cl5.test';
  const readLog = (dir: string) => {
    const logFile = join(dir, 'turn.log');
    return existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  };
  const service = await startService({
    ...COTURN,
    port: freePort,
    args(port, dir) {
      const config = join(dir, 'turnserver.conf');
      writeFileSync(config, '# empty: every setting is on the command line\n');
      // Relay ports below the kernel's ephemeral range (32768+), so they do not collide with the tests' own sockets.
      const minPort = 20_000 + 200 * Math.floor(Math.random() * 50);
      // biome-ignore format: one option per line reads best
      return [
        '-c', config,
        '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
        `--min-port=${minPort}`, `--max-port=${minPort + 199}`,
        '--use-auth-secret', `--static-auth-secret=${options.secret}`, `--realm=${realm}`,
        // Peers here are loopback relay addresses, which coturn refuses unless told.
        '--allow-loopback-peers', '--no-multicast-peers',
        '--no-cli', '--no-tls', '--no-dtls', '--no-rfc5780',
        // Logs each request with its user (ALLOCATE, CHANNEL_BIND ...): how a test sees whose credential was used.
        '--verbose',
        `--log-file=${join(dir, 'turn.log')}`, '--simple-log', '--no-stdout-log',
        `--pidfile=${join(dir, 'turn.pid')}`, `--userdb=${join(dir, 'turndb')}`,
      ];
    },
    ready: stunAnswers,
    lastWords: (dir) => readLog(dir).slice(-500),
  });
  return {
    url: `turn:127.0.0.1:${service.port}`,
    port: service.port,
    secret: options.secret,
    realm,
    log: () => readLog(service.dir),
    stop: service.stop,
  };
}
