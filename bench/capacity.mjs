// Signalling capacity (issue: relay + performance): N idle, INIT'ed clients held open by a SECOND
// process against our server (its own process), all on 127.0.0.1. Reports the server's resident
// memory per client and its CPU while the clients sit idle.
// Usage: node bench/capacity.mjs [clients=10000] [idleSeconds=65] (65 s include two of the server's 30 s ping rounds)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { cpuSeconds, rss, startCl5 } from './lib/processes.mjs';

const N = Number(process.argv[2] ?? 10_000);
const IDLE_SECONDS = Number(process.argv[3] ?? 65);

if (process.env.CL5_CAPACITY_CLIENTS) {
  // The load process: open N sockets (at most 200 handshakes at a time), INIT each, then idle.
  const port = Number(process.env.CL5_CAPACITY_CLIENTS);
  const sockets = [];
  const connectOne = (i) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?ugi=capacity`, { perMessageDeflate: false });
      ws.once('open', () => ws.send(JSON.stringify({ opcode: 'INIT', payload: { username: `player-${i}` } })));
      ws.once('message', (data) => (String(data).includes('INIT_OK') ? resolve(ws) : reject(new Error(String(data)))));
      ws.once('error', reject);
    });
  for (let i = 0; i < N; i += 200) {
    const batch = await Promise.all(Array.from({ length: Math.min(200, N - i) }, (_, k) => connectOne(i + k)));
    sockets.push(...batch);
  }
  process.send({ connected: sockets.length });
  process.on('message', () => {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  });
} else {
  const server = await startCl5();
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const baseline = rss(server.pid);
    const heapBefore = (await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json()).memory.heapUsed;
    const load = fork(fileURLToPath(import.meta.url), [String(N)], { env: { ...process.env, CL5_CAPACITY_CLIENTS: String(server.port) } });
    const started = performance.now();
    const { connected } = await new Promise((resolve, reject) => {
      load.once('message', resolve);
      load.once('exit', (code) => reject(new Error(`load process exited with ${code}`)));
    });
    const connectSeconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const loaded = rss(server.pid);
    const health = await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json();
    const cpuBefore = cpuSeconds(server.pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const idleCpu = (cpuSeconds(server.pid) - cpuBefore) / IDLE_SECONDS;
    const settled = rss(server.pid);
    load.send('stop');
    await new Promise((resolve) => load.once('exit', resolve));
    console.log(
      `Capacity: ${connected} INIT'ed idle clients from a second process (server sees ${health.players} players), connected in ${connectSeconds.toFixed(1)} s`,
    );
    const perClient = (bytes) => ((bytes - baseline) / connected / 1024).toFixed(2);
    console.log(
      `  server RSS: ${(baseline / 1048576).toFixed(1)} MiB empty → ${(loaded / 1048576).toFixed(1)} MiB right after connecting (${perClient(loaded)} KiB per client) → ${(settled / 1048576).toFixed(1)} MiB after ${IDLE_SECONDS} s idle: ${perClient(settled)} KiB per client (target ≤ 8 KiB)`,
    );
    console.log(
      `  of which JavaScript heap: ${((health.memory.heapUsed - heapBefore) / connected / 1024).toFixed(2)} KiB per client (the rest: sockets' native state and allocator overhead)`,
    );
    console.log(`  server CPU while idle: ${(idleCpu * 100).toFixed(2)} % of one core over ${IDLE_SECONDS} s (WebSocket pings every 30 s)`);
  } finally {
    await server.stop();
  }
  process.exit(0);
}
