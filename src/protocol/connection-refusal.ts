// What the server tells a connection it will not take now (admission.ts): the WebSocket opens and is
// closed at once with 1013 "try again later" and one of these reasons. Named once, so the server words
// them and a connecting client knows how long to wait before it tries again.
const RATE = 'too many new connections from your address: try again in ';

/** Close code of a refused connection. */
export const CLOSE_TRY_LATER = 1013;

export const ConnectionRefusal = {
  rate: (seconds: number) => `${RATE}${seconds} s`,
  full: (limit: number) => `server full (limit ${limit} connections)`,
  perAddress: (limit: number) => `too many connections from your address (limit ${limit})`,
};

/** For a refusal's close reason: the least time before connecting again is worth it (0: it does not say). */
export function connectRetryAfterMs(reason: string): number {
  if (!reason.startsWith(RATE)) return 0;
  return 1000 * Number(/in (\d+) s$/.exec(reason)?.[1] ?? 0);
}
