// A first connect that holds through a busy server. A connection the server refused for now (closed
// with 1013: too many new connections from one address — a class opening the project at once behind
// one router — or the server is full) or that could not be made at all (a browser cannot tell a server
// that is down from one that answered HTTP 429) is tried again, each time on the next of the server's
// URLs, until the connect give-up time of `options.reconnect` (reconnect-policy.ts). Any other failure (a name taken,
// a bad token, a bad URL) ends it at once.
import { CLOSE_TRY_LATER } from '../protocol/index.js';
import { cancelled, CloudLinkError } from './errors.js';
import { resolvePolicy, retrying, RetryLater } from './reconnect-policy.js';
import { CLOSE_READ_MS, refusalWaitMs, Session, type SessionOptions } from './session.js';

/**
 * Opens a session and identifies on it (`identify`, e.g. INIT), trying again as above. Aborting
 * `options.signal` rejects with 'cancelled' at any step, the waits included, and leaves nothing open.
 */
export function firstSession(options: SessionOptions, identify: (session: Session) => Promise<unknown>): Promise<Session> {
  const policy = resolvePolicy(options.reconnect ?? {});
  const urls = [options.url, ...(options.fallbackUrls ?? [])];
  let next = 0;
  return retrying(
    policy,
    policy.connectGiveUpMs,
    () => {
      // Starting with the next URL, the others kept as the session's fallbacks for resuming later.
      const ordered = [...urls.slice(next), ...urls.slice(0, next)];
      next = (next + 1) % urls.length;
      return tryOnce({ ...options, url: ordered[0]!, fallbackUrls: ordered.slice(1) }, identify);
    },
    { signal: options.signal },
  );
}

async function tryOnce(options: SessionOptions, identify: (session: Session) => Promise<unknown>): Promise<Session | RetryLater> {
  let session: Session;
  try {
    session = await Session.connect(options);
  } catch (error) {
    if (error instanceof CloudLinkError && error.code === 'unreachable') return new RetryLater(error);
    throw error;
  }
  // From here the socket is open: cancelling closes it.
  const signal = options.signal;
  const cancel = () => session.close(1000, 'cancelled');
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    await identify(session);
  } catch (error) {
    const close = signal?.aborted ? null : await session.socketClose(CLOSE_READ_MS);
    session.close();
    if (signal?.aborted) throw cancelled();
    if (close?.code !== CLOSE_TRY_LATER) throw error;
    return new RetryLater(new CloudLinkError('unreachable', `the server refused the connection: ${close.reason}`), refusalWaitMs(close));
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
  if (signal?.aborted) {
    session.close();
    throw cancelled();
  }
  return session;
}
