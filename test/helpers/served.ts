// One server per test and the raw clients opened to it, all closed after each test: call
// `serverPerTest()` at the top of a test file (it registers the afterEach).
import { afterEach } from 'vitest';
import type WebSocket from 'ws';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/server.js';
import { RawClient } from '../server/helpers.js';
import { silentLogger } from './logger.js';

export interface Served {
  /** Starts a server on a free port (the options over `defaults` and a silent logger). */
  serve(options?: ServerOptions): Promise<RunningServer>;
  /** The server the test started last. */
  readonly server: RunningServer;
  /** Raw clients to close after the test (`open` adds its own). */
  readonly clients: RawClient[];
  /** A raw client on the server's WebSocket URL, with `query` appended (e.g. `?ugi=game`). */
  open(query?: string, options?: WebSocket.ClientOptions): Promise<RawClient>;
}

export function serverPerTest(defaults: ServerOptions = {}): Served {
  const servers: RunningServer[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    // close() is idempotent: a server a test already closed resolves at once.
    for (const running of servers.splice(0)) await running.close();
  });
  const server = (): RunningServer => {
    const last = servers.at(-1);
    if (!last) throw new Error('serverPerTest: call serve() first');
    return last;
  };
  return {
    async serve(options = {}) {
      const running = await startServer({ port: 0, logger: silentLogger, ...defaults, ...options });
      servers.push(running);
      return running;
    },
    get server() {
      return server();
    },
    clients,
    async open(query = '', options) {
      const client = await RawClient.open(`${server().wsUrl}${query}`, options);
      clients.push(client);
      return client;
    },
  };
}
