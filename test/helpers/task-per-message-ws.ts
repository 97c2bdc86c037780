// `ws` as a browser delivers it: each message (and the close) in a task of its own, with promise
// continuations run in between. `ws` itself hands every frame of one network read to onmessage in a
// single loop, which hides the races a page meets (a reply read before the packets that follow it).
// `latencyMs` models a server far away (what it sends arrives that much later, in order), while the
// players' WebRTC links stay direct and fast: the race behind "a link closed before the server said why".
import WebSocket from 'ws';

type Handler = ((event: unknown) => void) | null;

export function taskPerMessageWebSocket(latencyMs = 0): new (url: string) => WebSocket {
  const later = (run: () => void) => (latencyMs > 0 ? setTimeout(run, latencyMs) : setImmediate(run));
  return class TaskPerMessageWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
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
