// How the client tries again: a dropped connection (resumed), and a first connect the server refused
// for now or that could not be made. Exponential backoff with jitter (so a server that comes back is
// not hit by every client in the same instant), no sooner than a refusal said ("try again in N s"),
// and a time after which it gives up.
import { cancelled, CloudLinkError } from './errors.js';

export interface ReconnectPolicy {
  /** Delay before the first attempt. */
  firstDelayMs: number;
  /** Delays double up to this. */
  maxDelayMs: number;
  /** After this long without a resume the session is lost (longer than the server's default 30 s grace). */
  giveUpMs: number;
  /** A first connect is tried again for this long before it fails (first-connect.ts). */
  connectGiveUpMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { firstDelayMs: 250, maxDelayMs: 3000, giveUpMs: 60_000, connectGiveUpMs: 10_000 };

export const resolvePolicy = (policy: Partial<ReconnectPolicy>): ReconnectPolicy => ({ ...DEFAULT_RECONNECT, ...policy });

/** An attempt that failed for now: why, and how long the server said to wait (0: it did not). */
export class RetryLater {
  constructor(
    readonly failure: CloudLinkError,
    readonly refusedForMs = 0,
  ) {}
}

/**
 * Makes attempts until one returns something other than a RetryLater (what it throws ends it too). An
 * attempt waits first when `waitFirst`, and after each failure: the backoff, or longer if the failure said
 * so (spread by up to half again, so an address's clients told the same wait do not return in one
 * instant). A wait that would end past `giveUpMs` from the start throws the last failure, saying how often
 * it tried. Aborting `signal` ends a wait with 'cancelled'.
 */
export async function retrying<T>(
  policy: ReconnectPolicy,
  giveUpMs: number,
  attempt: () => Promise<T | RetryLater>,
  options: { signal?: AbortSignal; waitFirst?: boolean } = {},
): Promise<T> {
  const started = Date.now();
  let last: RetryLater | null = null;
  for (let tries = 0; ; tries += 1) {
    if (last || options.waitFirst) {
      const backoffMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(options.waitFirst ? tries : tries - 1, 30));
      const delayMs = Math.round(Math.max(backoffMs * (0.5 + Math.random()), (last?.refusedForMs ?? 0) * (1 + Math.random() / 2)));
      const elapsedMs = Date.now() - started;
      if (last && elapsedMs + delayMs > giveUpMs) {
        const note = tries > 1 ? ` (tried ${tries} times in ${Math.round(elapsedMs / 1000)} s)` : '';
        throw new CloudLinkError(last.failure.code, `${last.failure.message}${note}`);
      }
      await wait(delayMs, options.signal);
    }
    const outcome = await attempt();
    if (!(outcome instanceof RetryLater)) return outcome;
    last = outcome;
  }
}

/** Resolves after `ms`; rejects with 'cancelled' as soon as `signal` aborts. */
function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const abort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
