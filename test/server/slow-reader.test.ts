// A client that never reads while others send it signals: the server holds at most --max-outbox-kib
// for it, then cuts it (seat released, the lobby told), and its memory stays bounded. The server runs
// in its own process so its RSS is its own.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer, printedWsUrl, type ServerBundle } from '../helpers/server-process.js';
import { RawClient } from './helpers.js';

let bundle: ServerBundle;
beforeAll(async () => {
  bundle = await bundleServer();
});
afterAll(() => bundle.dispose());

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** The bound the issue sets for one slow reader (docs/security.md). */
const RSS_BOUND_MIB = 32;
const SENDERS = 8;
const SIGNAL_BYTES = 60_000;

describe('a client that never reads', () => {
  it('is cut once 1 MiB waits for it, with its seat released; server memory grows by less than 32 MiB', async () => {
    const server = bundle.run(['--port', '0', '--rate-limit', '100000', '--max-outbox-kib', '1024']);
    const url = await printedWsUrl(server);
    const clients: RawClient[] = [];
    const join = async (username: string) => {
      const client = await RawClient.open(url);
      clients.push(client);
      const ok = await client.request('INIT', { username }, 'INIT_OK');
      return Object.assign(client, { id: (ok.payload as { instance_id: string }).instance_id });
    };
    try {
      const slow = await join('slow');
      await slow.request('CREATE_LOBBY', { name: 'room', max_players: -1, password: '', locked: false, enable_relay: false }, 'CREATE_ACK');
      const senders: (RawClient & { id: string })[] = [];
      for (let i = 0; i < SENDERS; i += 1) {
        const sender = await join(`sender${i}`);
        await sender.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK');
        senders.push(sender);
      }
      (slow.ws as unknown as { _socket: Socket })._socket.pause();
      const before = rssMiB(server.child.pid!);
      let peak = before;
      const signal = JSON.stringify({ opcode: 'ICE', recipient: slow.id, payload: { type: 0, contents: { candidate: 'x'.repeat(SIGNAL_BYTES) } } });
      const cut = () => senders[0]!.received.some((p) => p.opcode === 'PEER_LEFT' && p.payload === slow.id);
      // Bounded: at most 2,000 signals (120 MB) — many times what the kernel's socket buffers and the cap hold.
      for (let round = 0; round < 50 && !cut(); round += 1) {
        for (const sender of senders) for (let k = 0; k < 5; k += 1) sender.send(signal);
        // The server handled each sender's signals before it answers that sender's KEEPALIVE.
        for (const sender of senders) await sender.sync();
        peak = Math.max(peak, rssMiB(server.child.pid!));
      }
      await senders[0]!.next('PEER_LEFT', 5000);
      expect(server.output()).toMatch(/"event":"player.cut".*"why":"too slow: \d+ bytes unread \(limit 1048576\)"/);
      console.log(`slow reader: server RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB`);
      expect(peak - before, `server RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB`).toBeLessThan(RSS_BOUND_MIB);
      // The lobby goes on: a new host, and the others still relay to each other.
      const first = senders[0]!;
      await first.until(() => first.received.some((p) => p.opcode === 'TRANSITION' && p.payload === 'host'), 'the host role moving to sender0');
      senders[0]!.send({ opcode: 'ICE', recipient: senders[1]!.id, payload: { type: 0, contents: { candidate: 'ok' } } });
      expect((await senders[1]!.next('ICE')).payload).toEqual({ type: 0, contents: { candidate: 'ok' } });
    } finally {
      for (const client of clients) client.close();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
