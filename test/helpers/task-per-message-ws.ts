// `ws` as a browser delivers it: each message (and the close) in a task of its own, with promise
// continuations run in between. `ws` itself hands every frame of one network read to onmessage in a
// single loop, which hides the races a page meets (a reply read before the packets that follow it).
// `latencyMs` models a server far away (what it sends arrives that much later, in order), while the
// players' WebRTC links stay direct and fast: the race behind "a link closed before the server said why".
// `spacingMs` models packets of one burst arriving apart (separate network reads): other tasks, such
// as a VM's frame, run between a reply and the packets that follow it.
import WebSocket from 'ws';

type Handler = ((event: unknown) => void) | null;

export interface Delivery {
  latencyMs?: number;
  spacingMs?: number;
}

export function taskPerMessageWebSocket({ latencyMs = 0, spacingMs = 0 }: Delivery = {}): new (url: string) => WebSocket {
  return class TaskPerMessageWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      // One queue per socket, delivered in order, one message per task.
      const queue: { at: number; run: () => void }[] = [];
      let lastAt = 0;
      let pumping = false;
      const pump = () => {
        const next = queue[0];
        if (!next) {
          pumping = false;
          return;
        }
        const wait = next.at - Date.now();
        if (wait > 0) {
          setTimeout(pump, wait);
          return;
        }
        queue.shift();
        next.run();
        setImmediate(pump);
      };
      const later = (run: () => void) => {
        lastAt = Math.max(Date.now() + latencyMs, lastAt + spacingMs);
        queue.push({ at: lastAt, run });
        if (pumping) return;
        pumping = true;
        setImmediate(pump);
      };
      for (const name of ['onmessage', 'onclose'] as const) {
        // ws's own accessor (on its prototype) registers the listener; this one defers each call to a task.
        const own = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
        Object.defineProperty(this, name, {
          configurable: true,
          get: () => own.get!.call(this) as Handler,
          set: (handler: Handler) => own.set!.call(this, handler && ((event: unknown) => later(() => handler.call(this, event)))),
        });
      }
    }
  };
}

export const TaskPerMessageWebSocket = taskPerMessageWebSocket();
