// Messages still arriving (issue 16): 1,000 connections pushing unfinished messages cannot grow the
// server by more than a bound, each is closed with a reason, and a violator's socket is cut promptly
// even if it never answers the close. The server runs in its own process so its RSS is its own;
// attackers are raw TCP sockets writing frames by hand (bench/lib/raw-ws.mjs).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, type RawWsClient, unfinishedFragment } from '../../bench/lib/raw-ws.mjs';
import { bundleServer, printedWsUrl, type ServerBundle, type ServerProcess, waitFor } from '../helpers/server-process.js';
import { RawClient } from './helpers.js';

let bundle: ServerBundle;
beforeAll(async () => {
  bundle = await bundleServer();
});
afterAll(() => bundle.dispose());

const MIB = 1024 * 1024;
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/** Bytes the process read from files and sockets so far. */
const readBytes = (pid: number): number => Number(/rchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);

/**
 * The bound docs/security.md states for 1,000 connections pushing unfinished messages: what they hold
 * is capped (--max-incoming-kib, 32 MiB), but what the server read before it cut them (≤ 2 reads of
 * 64 KiB each) is garbage V8 frees only once ~64 MiB of such external memory has piled up. Before the
 * cap and the prompt cut: +188 MiB for the first case, and the second never ended (nothing was closed).
 */
const RSS_BOUND_MIB = 128;
const CONNECTIONS = 1000;
const FRAGMENT = Buffer.alloc(60 * 1024, 0x61);

interface Attacker {
  client: RawWsClient;
  /** The socket is closed (by the server: the attacker never closes it first). */
  gone: boolean;
}

/**
 * Opens `count` raw connections (50 at a time) that never INIT, each from an address of its own
 * (127.0.x.y): the budget is for attacks from many addresses, where no address's read rate binds (from
 * one address, `--kib-per-address-per-second` reads them too slowly to reach it: turn-share.test.ts).
 */
async function attackers(port: number, count: number): Promise<Attacker[]> {
  const all: Attacker[] = [];
  const address = (i: number) => `127.0.${10 + Math.floor(i / 250)}.${(i % 250) + 1}`;
  for (let at = 0; at < count; at += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - at) }, (_, i) => open(port, '/?ugi=attack', { localAddress: address(at + i) })));
    for (const client of batch) {
      const attacker = { client, gone: false };
      client.socket.on('close', () => (attacker.gone = true));
      client.socket.on('error', () => {});
      all.push(attacker);
    }
  }
  return all;
}

/** Writes an unfinished message of up to `fragments` × 60 KiB, one fragment per turn once the socket took the last. */
function upload(attacker: Attacker, fragments: number): void {
  let sent = 0;
  const more = (): void => {
    if (sent >= fragments || attacker.gone || attacker.client.closeFrame) return;
    sent += 1;
    attacker.client.socket.write(unfinishedFragment(FRAGMENT, sent === 1), () => setImmediate(more));
  };
  more();
}

/** A well-behaved player in another game: a KEEPALIVE round trip every 100 ms until stopped. */
async function bystander(url: string) {
  const honest = await RawClient.open(`${url}?ugi=other`);
  await honest.request('INIT', { username: 'honest' }, 'INIT_OK');
  let running = true;
  const rtts: number[] = [];
  let lost = 0;
  const done = (async () => {
    while (running) {
      const start = performance.now();
      // A KEEPALIVE not answered within 3 s is lost (the attack must not make that happen).
      await honest.sync().then(
        () => rtts.push(performance.now() - start),
        () => (lost += 1),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    /** Stops, checks the player is still connected and answered, and describes its round trips. */
    async stop(): Promise<string> {
      running = false;
      await done;
      expect(honest.closeInfo).toBeNull();
      expect((await honest.sync()).opcode).toBe('KEEPALIVE_ACK');
      honest.close();
      expect(lost).toBe(0);
      expect(rtts.length).toBeGreaterThan(0);
      rtts.sort((x, y) => x - y);
      return `bystander keepalive ${rtts.length} round trips, p50 ${rtts[Math.floor(rtts.length / 2)]!.toFixed(1)} ms, max ${rtts.at(-1)!.toFixed(1)} ms`;
    },
  };
}

/** Samples the server's RSS every 50 ms until `settled` holds (bounded), and returns the peak. */
async function peakWhile(server: ServerProcess, settled: () => boolean, what: string, timeoutMs: number): Promise<number> {
  let peak = 0;
  await waitFor(
    () => {
      peak = Math.max(peak, rssMiB(server.child.pid!));
      return settled() ? true : undefined;
    },
    what,
    timeoutMs,
  );
  return peak;
}

const portOf = (url: string) => Number(new URL(url).port);
const codes = (all: Attacker[]) => {
  const count = new Map<string, number>();
  for (const { client } of all) {
    const key = client.closeFrame ? `${client.closeFrame.code} ${client.closeFrame.reason}` : 'no close frame';
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  return [...count].map(([key, n]) => `${key} ×${n}`).join('; ');
};

describe('messages still arriving', () => {
  it(`${CONNECTIONS} connections uploading unfinished ~1 MiB messages are all closed; the server reads little of it and grows < ${RSS_BOUND_MIB} MiB`, async () => {
    const server = bundle.run(['--port', '0']);
    const all: Attacker[] = [];
    try {
      const url = await printedWsUrl(server);
      const honest = await bystander(url);
      all.push(...(await attackers(portOf(url), CONNECTIONS)));
      const before = rssMiB(server.child.pid!);
      const readBefore = readBytes(server.child.pid!);
      for (const attacker of all) upload(attacker, 17);
      const peak = await peakWhile(server, () => all.every((a) => a.gone), 'every attacker closed', 30_000);
      const read = (readBytes(server.child.pid!) - readBefore) / MIB;
      console.log(
        `unfinished 1 MiB ×${CONNECTIONS}: RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB; server read ${read.toFixed(0)} MiB; ${codes(all)}`,
      );
      // Told why: too large (1009), or cut to bring the budget back (1013), VIOLATION first. Best effort:
      // one still writing when its socket is destroyed may meet the reset first (these stop once told).
      const told = all.filter(({ client }) => client.closeFrame && client.inbox.some((text) => text.includes('"VIOLATION"')));
      for (const { client } of told) expect([1009, 1013]).toContain(client.closeFrame!.code);
      expect(told.length).toBeGreaterThanOrEqual(CONNECTIONS * 0.9);
      expect(peak - before, `server RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB`).toBeLessThan(RSS_BOUND_MIB);
      // 17 MiB would be read if the server read on after its close (it did: ~1 GiB for 1,000); it stops instead.
      expect(read).toBeLessThan(CONNECTIONS * 0.25);
      console.log(await honest.stop());
    } finally {
      for (const { client } of all) client.close();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 90_000);

  it(`${CONNECTIONS} connections holding a 60 KiB unfinished message (under the frame limit): the oldest are cut past the budget, the rest at the deadline`, async () => {
    const server = bundle.run(['--port', '0', '--message-deadline', '2']);
    const all: Attacker[] = [];
    try {
      const url = await printedWsUrl(server);
      const honest = await bystander(url);
      all.push(...(await attackers(portOf(url), CONNECTIONS)));
      const before = rssMiB(server.child.pid!);
      for (const attacker of all) upload(attacker, 1);
      const peak = await peakWhile(server, () => all.every((a) => a.gone), 'every attacker closed', 30_000);
      console.log(`held 60 KiB ×${CONNECTIONS}: RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB; ${codes(all)}`);
      const busy = all.filter(({ client }) => client.closeFrame?.code === 1013);
      const late = all.filter(({ client }) => client.closeFrame?.code === 1008);
      // 1,000 × 60 KiB is over the 32 MiB budget: some go at once; the others when their 2 s are up.
      expect(busy.length).toBeGreaterThan(0);
      expect(late.length).toBeGreaterThan(0);
      expect(busy.length + late.length).toBe(CONNECTIONS);
      expect(busy[0]!.client.closeFrame!.reason).toContain('unfinished message was dropped');
      expect(late[0]!.client.closeFrame!.reason).toBe('message not finished within 2 s');
      expect(server.output()).toContain('"event":"violation.incoming"');
      expect(peak - before, `server RSS ${before.toFixed(1)} → peak ${peak.toFixed(1)} MiB`).toBeLessThan(RSS_BOUND_MIB);
      console.log(await honest.stop());
    } finally {
      for (const { client } of all) client.close();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 90_000);

  it('cuts a violator within about a second of its close frame though it never answers it, and stops reading it meanwhile', async () => {
    const server = bundle.run(['--port', '0', '--init-deadline', '0.5']);
    const all: Attacker[] = [];
    try {
      const url = await printedWsUrl(server);
      const honest = await bystander(url);
      // One sends a message over the frame limit and goes on sending; one never INITs. Neither answers a close.
      const [big, silent] = await attackers(portOf(url), 2);
      all.push(big!, silent!);
      let silentClosedAt = 0;
      silent!.client.onClose = () => (silentClosedAt = Date.now());
      // Over the limit once the second 60 KiB fragment is written: from then on the server owes it nothing.
      const socket = big!.client.socket;
      await new Promise((resolve) => socket.write(unfinishedFragment(FRAGMENT, true), () => socket.write(unfinishedFragment(FRAGMENT, false), resolve)));
      const overAt = Date.now();
      let bigClosedAt = 0;
      socket.once('close', () => (bigClosedAt = Date.now()));
      const writtenAtOver = socket.bytesWritten;
      upload(big!, 100_000);
      await waitFor(() => (big!.gone && silent!.gone ? true : undefined), 'both sockets cut', 10_000);
      const cutAt = Date.now();
      const afterOver = (socket.bytesWritten - writtenAtOver) / MIB;
      console.log(`violator: cut ${bigClosedAt - overAt} ms after its frame went over the limit; wrote ${afterOver.toFixed(1)} MiB more meanwhile`);
      expect(bigClosedAt - overAt).toBeLessThan(3000);
      // It could write no more than the kernel's socket buffers hold: the server read nothing more (before: all it was sent, for 30 s).
      expect(afterOver).toBeLessThan(32);
      // Told why, best effort: a client that keeps writing may meet the reset before it reads the close frame.
      if (big!.client.closeFrame) expect(big!.client.closeFrame.code).toBe(1009);
      expect(silent!.client.closeFrame).toEqual({ code: 1008, reason: 'no INIT within 0.5 s' });
      expect(cutAt - silentClosedAt).toBeLessThan(3000);
      console.log(await honest.stop());
    } finally {
      for (const { client } of all) client.close();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);
});
