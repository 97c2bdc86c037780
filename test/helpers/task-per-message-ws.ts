// `ws` as a browser delivers it: each message (and the close) in a task of its own, with promise
// continuations run in between. `ws` itself hands every frame of one network read to onmessage in a
// single loop, which hides the races a page meets (a reply read before the packets that follow it).
import WebSocket from 'ws';

type Handler = ((event: unknown) => void) | null;

export class TaskPerMessageWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    for (const name of ['onmessage', 'onclose'] as const) {
      // ws's own accessor (on its prototype) registers the listener; this one defers each call to a task.
      const own = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
      Object.defineProperty(this, name, {
        configurable: true,
        get: () => own.get!.call(this) as Handler,
        set: (handler: Handler) => own.set!.call(this, handler && ((event: unknown) => setImmediate(() => handler.call(this, event)))),
      });
    }
  }
}
