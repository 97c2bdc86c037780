// A small typed event emitter usable in the browser and in Node (no dependency on node:events).

export type Listener<A extends unknown[]> = (...args: A) => void;
/** Where a listener that threw is reported: the console in the browser; the server passes its JSON log. */
export type ListenerErrorSink = (event: string, error: unknown) => void;

export const logToConsole: ListenerErrorSink = (event, error) => console.error(`CloudLink 5: a "${event}" listener threw`, error);

type StoredListener = (...args: unknown[]) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<StoredListener>>();

  constructor(private readonly onListenerError: ListenerErrorSink = logToConsole) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as StoredListener);
    return () => this.off(event, listener);
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(event, ((...args: Events[K]) => {
      off();
      listener(...args);
    }) as Listener<Events[K]>);
    return off;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener as StoredListener);
  }

  /** A throwing listener must not stop the others, nor the protocol code that emitted: it is reported to the sink. */
  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}
