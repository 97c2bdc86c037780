// A read of the store behind an HTTP answer (health, readiness, the status page, metrics) must not hold the
// answer for as long as a store that stopped answering would (a Redis that hangs answers nothing, ever).

/** How long those answers wait for the store before calling it unreachable. */
export const STORE_DEADLINE_MS = 2000;

/** `work`'s result, or a rejection once `ms` passed without one (`work` itself goes on). */
export async function withinDeadline<T>(work: Promise<T>, ms = STORE_DEADLINE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The store's answer, or why it gave none in time (`store unreachable: …`), as the HTTP answers say it. */
export type StoreAnswer<T> = { value: T } | { unreachable: string };

export async function fromStore<T>(work: Promise<T>): Promise<StoreAnswer<T>> {
  try {
    return { value: await withinDeadline(work) };
  } catch (error) {
    return { unreachable: `store unreachable: ${error instanceof Error ? error.message : String(error)}` };
  }
}
