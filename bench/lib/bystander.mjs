// A well-behaved player in a game of its own, run as a child process of bench/abuse.mjs (fork) so that
// the attack's load generator never delays its timers: it sends KEEPALIVE every 100 ms and times each
// KEEPALIVE_ACK; with `passwordJoins`, a second player also joins and leaves a password lobby of that
// game every 200 ms and times each JOIN_ACK. The parent sends { start: { passwordJoins } } and
// { stop: true } (answered with the summaries), then disconnects.
import { isOpcode, player } from './cl5-clients.mjs';
import { request } from './raw-ws.mjs';
import { summary } from './stats.mjs';

const [port, localAddress] = [Number(process.argv[2]), process.argv[3]];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const PASSWORD = 'correct horse';
const REPLY_TIMEOUT_MS = 5000;

const keeper = await player(port, 'bystander', 'bystander', { localAddress });
const host = await player(port, 'host', 'bystander', { localAddress });
const joiner = await player(port, 'joiner', 'bystander', { localAddress });
const lobby = { name: 'honest', max_players: 2, password: PASSWORD, locked: false, enable_relay: false };
const created = await request(host.client, { opcode: 'CREATE_LOBBY', payload: lobby }, isOpcode('CREATE_ACK'));
if (created.payload !== 'ok') throw new Error(`bystander lobby: ${created.payload}`);

/** Keepalives in flight, by listener: when each was sent. */
const pending = new Map();
let keepalives = [];
let lost = 0;
keeper.client.onText = (text) => {
  const { opcode, listener } = JSON.parse(text);
  const sentAt = pending.get(listener);
  if (opcode !== 'KEEPALIVE_ACK' || sentAt === undefined) return;
  pending.delete(listener);
  keepalives.push(performance.now() - sentAt);
};
let ticker = null;
let joining = false;
let joins = [];

async function joinLoop() {
  while (joining) {
    const started = performance.now();
    const joined = await Promise.race([
      request(joiner.client, { opcode: 'JOIN_LOBBY', payload: { name: 'honest', password: PASSWORD } }, isOpcode('JOIN_ACK')),
      sleep(REPLY_TIMEOUT_MS).then(() => ({ payload: 'timed out' })),
    ]);
    if (joined.payload !== 'ok') throw new Error(`honest join: ${joined.payload}`);
    joins.push(performance.now() - started);
    await request(joiner.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
    await sleep(200);
  }
}
let joinLoopDone = Promise.resolve();

process.on('message', async (message) => {
  if (message.start) {
    keepalives = [];
    joins = [];
    lost = 0;
    let n = 0;
    ticker = setInterval(() => {
      const listener = String((n += 1));
      pending.set(listener, performance.now());
      keeper.client.send(JSON.stringify({ opcode: 'KEEPALIVE', listener }));
      // One that has waited too long counts as lost, and as a sample of the timeout.
      for (const [key, sentAt] of pending)
        if (performance.now() - sentAt > REPLY_TIMEOUT_MS) {
          pending.delete(key);
          lost += 1;
          keepalives.push(REPLY_TIMEOUT_MS);
        }
    }, 100);
    joining = Boolean(message.start.passwordJoins);
    if (joining) joinLoopDone = joinLoop();
  } else if (message.stop) {
    clearInterval(ticker);
    // Still unanswered: lost, each a sample of how long it has waited so far.
    for (const sentAt of pending.values()) {
      lost += 1;
      keepalives.push(performance.now() - sentAt);
    }
    pending.clear();
    joining = false;
    await joinLoopDone;
    process.send({ keepalive: summary(keepalives), lost, passwordJoin: joins.length ? summary(joins) : null });
  }
});
process.on('disconnect', () => {
  for (const p of [keeper, host, joiner]) p.client.close();
  process.exit(0);
});
process.send({ ready: true });
