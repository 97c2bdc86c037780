// What one NEW_LOBBY batch to many idle players makes a bystander wait (issue 16): IDLE INIT'ed idle
// players (raw sockets, a load process) hear a batch every 1.5 s (a create, then a leave once it went
// out), while a bystander in another game (its own process) sends KEEPALIVE every 5 ms and times each
// answer. Prints the bystander's round trips (p50 / p99 / p99.9 / max) with batches and, before them,
// without. Usage: node bench/batch-stall.mjs [idle=2000] [seconds=20] [root of another checkout to compare]
// (run with CL5_LOBBY_ANNOUNCE_COST=0 so that no batch is held: one per create).
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startCl5 } from './lib/processes.mjs';
import { open } from './lib/raw-ws.mjs';

const IDLE = Number(process.argv[2] ?? 2000);
const SECONDS = Number(process.argv[3] ?? 20);
const OTHER_ROOT = process.argv[4];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const role = process.env.CL5_BATCH_STALL_ROLE;
const port = Number(process.env.CL5_BATCH_STALL_PORT);

async function player(name, game) {
  const client = await open(port, `/?ugi=${game}`);
  await new Promise((resolve) => {
    client.onText = (text) => text.includes('INIT_OK') && resolve();
    client.send(JSON.stringify({ opcode: 'INIT', payload: { username: name } }));
  });
  return client;
}

if (role === 'bystander') {
  const client = await player('bystander', 'other');
  const sent = new Map();
  let rtts = [];
  client.onText = (text) => {
    const { opcode, listener } = JSON.parse(text);
    if (opcode !== 'KEEPALIVE_ACK' || !sent.has(listener)) return;
    rtts.push(performance.now() - sent.get(listener));
    sent.delete(listener);
  };
  let n = 0;
  const timer = setInterval(() => {
    const listener = `k${n++}`;
    sent.set(listener, performance.now());
    client.send(JSON.stringify({ opcode: 'KEEPALIVE', listener }));
  }, 5);
  process.on('message', (message) => {
    if (message === 'reset') rtts = [];
    if (message === 'report') process.send({ rtts, lost: sent.size });
    if (message === 'stop') {
      clearInterval(timer);
      client.close();
      process.exit(0);
    }
  });
  process.send('ready');
} else if (role === 'load') {
  let heard = 0;
  const idle = [];
  for (let i = 0; i < IDLE; i += 200)
    idle.push(...(await Promise.all(Array.from({ length: Math.min(200, IDLE - i) }, (_, k) => player(`idle${i + k}`, 'bench')))));
  for (const client of idle)
    client.onText = (text) => {
      if (text.includes('NEW_LOBBY')) heard += 1;
    };
  const creator = await player('creator', 'bench');
  process.send('ready');
  await new Promise((resolve) => process.once('message', resolve));
  let batches = 0;
  for (const until = performance.now() + SECONDS * 1000; performance.now() < until; batches += 1) {
    creator.send(
      JSON.stringify({ opcode: 'CREATE_LOBBY', payload: { name: `room${batches}`, max_players: -1, password: '', locked: false, enable_relay: false } }),
    );
    await sleep(300);
    creator.send(JSON.stringify({ opcode: 'LEAVE_LOBBY' }));
    await sleep(1200);
  }
  process.send({ batches, heard });
  await new Promise((resolve) => process.once('message', resolve));
  for (const client of [...idle, creator]) client.close();
  process.exit(0);
} else {
  const server = await startCl5([], { from: OTHER_ROOT });
  const child = (name) =>
    fork(fileURLToPath(import.meta.url), process.argv.slice(2, 4), {
      env: { ...process.env, CL5_BATCH_STALL_ROLE: name, CL5_BATCH_STALL_PORT: String(server.port) },
    });
  const reply = (proc) => new Promise((resolve) => proc.once('message', resolve));
  try {
    const load = child('load');
    await reply(load);
    const bystander = child('bystander');
    await reply(bystander);
    const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
    const summary = ({ rtts, lost }) => {
      const sorted = [...rtts].sort((a, b) => a - b);
      return `${sorted.length} round trips: p50 ${pct(sorted, 50).toFixed(2)} / p99 ${pct(sorted, 99).toFixed(2)} / p99.9 ${pct(sorted, 99.9).toFixed(2)} / max ${sorted.at(-1).toFixed(2)} ms${lost ? `, ${lost} unanswered` : ''}`;
    };
    await sleep(1000);
    bystander.send('reset');
    await sleep(SECONDS * 1000);
    bystander.send('report');
    const quiet = summary(await reply(bystander));
    bystander.send('reset');
    load.send('go');
    const { batches, heard } = await reply(load);
    bystander.send('report');
    const busy = summary(await reply(bystander));
    console.log(
      `One NEW_LOBBY batch to ${IDLE} idle players every 1.5 s (${OTHER_ROOT ? `server of ${OTHER_ROOT}` : 'this checkout'}); load average ${os.loadavg()[0].toFixed(1)}`,
    );
    console.log(`  ${batches} batches, ${heard} NEW_LOBBY heard (of ${batches * IDLE})`);
    console.log(`  bystander, no batches:   ${quiet}`);
    console.log(`  bystander, with batches: ${busy}`);
    bystander.send('stop');
    load.send('stop');
  } finally {
    await server.stop();
  }
  process.exit(0);
}
