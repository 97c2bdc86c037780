// `--redis URL`: the two Redis connections a node needs (commands, and a subscriber for its channel),
// the RedisStore over the first and the Cluster over both. Commands are not queued while the
// connection is down: a request then fails at once with a clear error instead of hanging.
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';
import { RedisStore } from '../redis-store.js';
import { Cluster } from './cluster.js';

export interface ClusterConnection {
  store: RedisStore;
  cluster: Cluster;
  /** Quits both connections. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** redis://[user:password@]host:port[/db] (or rediss://) */
  url: string;
  nodeId: string;
  log: Logger;
  /** Key and channel prefix (default `cl5:`). */
  prefix?: string;
  /** How long to wait for Redis at start (default 10 s). */
  timeoutMs?: number;
}

/** Resolves once both connections are ready; rejects with a clear reason when Redis does not answer in time. */
export async function connectCluster(options: ConnectOptions): Promise<ClusterConnection> {
  const { url, log } = options;
  // Loaded here, not at the top: a server without --redis never loads ioredis (~160 ms of its start).
  const { Redis } = await import('ioredis');
  const made: Redis[] = [];
  const open = (name: string, extra: RedisOptions): Redis => {
    const redis = new Redis(url, { lazyConnect: true, connectionName: `cl5-${name}-${options.nodeId}`, ...extra });
    // ioredis retries by itself (backoff up to 2 s); each failure is logged once per state change.
    let down = false;
    redis.on('error', (error: Error) => {
      if (!down) log('warn', 'redis.error', { connection: name, error: error.message });
      down = true;
    });
    redis.on('ready', () => {
      if (down) log('info', 'redis.reconnected', { connection: name });
      down = false;
    });
    made.push(redis);
    return redis;
  };
  // No auto-pipelining: it holds every command for a setImmediate (one more turn of the event loop per
  // round trip) and wraps each batch in a Pipeline, which cost about half a node's CPU per lobby command
  // (docs/performance.md, "Cluster"); the frames of a turn are batched into one script run anyway (cluster.ts).
  const redis = open('commands', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = open('subscriber', {});
  const close = async () => {
    await Promise.all(made.map((each) => each.quit().catch(() => each.disconnect())));
  };
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.all(made.map((each) => each.connect())),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    for (const each of made) each.disconnect();
    throw new Error(`cannot reach redis at ${redacted(url)}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  const prefix = options.prefix ?? 'cl5:';
  const store = new RedisStore(redis, prefix);
  try {
    await store.reindex();
  } catch (error) {
    await close();
    throw new Error(`cannot index the lobbies in redis at ${redacted(url)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    store,
    cluster: new Cluster({ redis, subscriber, nodeId: options.nodeId, prefix, log }),
    close,
  };
}

/** The URL without its password, for logs and errors. */
export const redacted = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
