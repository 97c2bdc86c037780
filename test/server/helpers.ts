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
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as Packet);
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

  /** Removes and returns the first queued packet with this opcode, waiting for it (bounded). */
  async next(opcode: string, timeoutMs = 3000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((p) => p.opcode === opcode);
      if (index !== -1) return this.received.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closeInfo) throw new Error(`no ${opcode}; got ${JSON.stringify(this.received.map((p) => p.opcode))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a request and returns the reply with the same listener. */
  async request(opcode: string, payload?: unknown, replyOpcode?: string, extra: object = {}): Promise<Packet> {
    const listener = `t${Math.random().toString(36).slice(2)}`;
    this.send({ opcode, payload, listener, ...extra });
    const deadline = Date.now() + 3000;
    for (;;) {
      const index = this.received.findIndex((p) => p.listener === listener && (!replyOpcode || p.opcode === replyOpcode));
      if (index !== -1) return this.received.splice(index, 1)[0]!;
      if (Date.now() > deadline || this.closeInfo) throw new Error(`no reply to ${opcode}; got ${JSON.stringify(this.received)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Opcodes received so far that nobody consumed, in order. */
  opcodes(): string[] {
    return this.received.map((p) => p.opcode);
  }

  /** Waits until the socket is closed (bounded). */
  async closed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closeInfo) {
      if (Date.now() > deadline) throw new Error('socket did not close');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.closeInfo;
  }

  close(): void {
    this.ws.terminate();
  }
}
