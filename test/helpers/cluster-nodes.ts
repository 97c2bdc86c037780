// Server nodes in this process sharing one real redis-server (what `--redis URL` builds in main.ts):
// each with its own Redis connections, node id and port. Every test run gets its own key prefix.
import { randomBytes } from 'node:crypto';
import { connectCluster, type ClusterConnection } from '../../src/server/cluster/connect.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { silentLogger } from './logger.js';

export interface Node {
  id: string;
  server: RunningServer;
  connection: ClusterConnection;
  /** Closes the server, then its Redis connections. */
  close(): Promise<void>;
}

export async function startNode(redisUrl: string, prefix: string, id: string, options: ServerOptions = {}): Promise<Node> {
  const logger = options.logger ?? silentLogger;
  const connection = await connectCluster({ url: redisUrl, nodeId: id, log: logger, prefix });
  const server = await startServer({ port: 0, logger, ...options, store: connection.store, cluster: connection.cluster });
  let closing: Promise<void> | undefined;
  return {
    id,
    server,
    connection,
    close() {
      closing ??= server.close().then(() => connection.close());
      return closing;
    },
  };
}

/** `count` nodes on one fresh key prefix; `options` may differ per node (e.g. a relay provider each). */
export async function startNodes(redisUrl: string, count: number, options: ServerOptions | ((index: number) => ServerOptions) = {}): Promise<Node[]> {
  const prefix = freshPrefix();
  const nodes: Node[] = [];
  for (let i = 0; i < count; i += 1) nodes.push(await startNode(redisUrl, prefix, `node${i}`, typeof options === 'function' ? options(i) : options));
  return nodes;
}

export const freshPrefix = (): string => `t${randomBytes(4).toString('hex')}:`;
