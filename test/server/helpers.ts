// A raw `ws` test client: queues every packet so a test can await the next one of an opcode.
import WebSocket from 'ws';

export interface Packet {
  opcode: string;
  payload?: unknown;
  origin?: { instance_id: string; username: string };
  listener?: string;
}

export class RawClient {
  readonly received: Packet[] = [];
  closeInfo: { code: number; reason: string } | null = null;
  /** WebSocket pings received from the server (ws answers each with a pong unless `autoPong` is off). */
  pings = 0;
  /** Frames received so far (what a RESUME says it received: NEW_LOBBY is not counted). */
  frames = 0;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const packet = JSON.parse(String(data)) as Packet;
      if (packet.opcode !== 'NEW_LOBBY') this.frames += 1;
      this.received.push(packet);
      this.wake();
    });
    ws.on('ping', () => {
      this.pings += 1;
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: String(reason) };
      this.wake();
    });
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('error', reject);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  send(packet: object | string): void {
    this.ws.send(typeof packet === 'string' ? packet : JSON.stringify(packet));
  }

  /** Waits until `found` returns something, re-checked on every packet, ping and close (bounded). */
  private async wait<T>(found: () => T | undefined, failure: () => string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = found();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0 || this.closeInfo) throw new Error(failure());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Removes and returns the first queued packet with this opcode, waiting for it (bounded). */
  next(opcode: string, timeoutMs = 3000): Promise<Packet> {
    return this.wait(
      () => this.take((p) => p.opcode === opcode),
      () => `no ${opcode}; got ${JSON.stringify(this.opcodes())}`,
      timeoutMs,
    );
  }

  /** Sends a request and returns the reply with the same listener. */
  request(opcode: string, payload?: unknown, replyOpcode?: string, extra: object = {}): Promise<Packet> {
    const listener = `t${Math.random().toString(36).slice(2)}`;
    this.send({ opcode, payload, listener, ...extra });
    return this.wait(
      () => this.take((p) => p.listener === listener && (!replyOpcode || p.opcode === replyOpcode)),
      () => `no reply to ${opcode}; got ${JSON.stringify(this.received)}`,
      3000,
    );
  }

  /**
   * Barrier: a KEEPALIVE round-trip, its reply consumed and returned (KEEPALIVE_ACK, or a WARNING with
   * its listener: not initialized, server busy). Sound because the server handles a socket's frames in
   * arrival order (Player.serial) and writes them out in the order produced (outbox.ts) over ordered
   * TCP: once the reply is here, everything the server wrote to this socket before it is here too.
   */
  sync(): Promise<Packet> {
    return this.request('KEEPALIVE');
  }

  /** Waits until `condition` holds, re-checked on every packet, ping and close (bounded). */
  async until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    await this.wait(
      () => (condition() ? true : undefined),
      () => `timed out waiting for ${what}`,
      timeoutMs,
    );
  }

  private take(match: (packet: Packet) => boolean): Packet | undefined {
    const index = this.received.findIndex(match);
    return index === -1 ? undefined : this.received.splice(index, 1)[0];
  }

  /** Opcodes received so far that nobody consumed, in order. */
  opcodes(): string[] {
    return this.received.map((p) => p.opcode);
  }

  /** Waits until the socket is closed (bounded). */
  closed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    return this.wait(
      () => this.closeInfo ?? undefined,
      () => 'socket did not close',
      timeoutMs,
    );
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * Barrier across sockets: `sync` on each, one after the other. List first the socket whose request
 * caused the frames in question (unless its reply was already awaited): the server writes whatever a
 * request makes it send, to any socket, before it handles that socket's next request, so the later
 * round-trips on the other sockets come after those frames on each of them. Not covered: frames from
 * work a handler does not wait for (a relay peer starting: RELAY, the relay's own signals) and pings.
 */
export async function barrier(...clients: RawClient[]): Promise<void> {
  for (const client of clients) await client.sync();
}
