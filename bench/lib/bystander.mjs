// A well-behaved player in a game of its own, run as a child process of bench/abuse.mjs (fork) so that
// the attack's load generator never delays its timers: it sends KEEPALIVE every 6 ms, over 4 connections
// in turn, and times each KEEPALIVE_ACK; with `passwordJoins`, a second player also joins and leaves a password lobby of that
// game every 1.05 s and times each JOIN_ACK (the first is waited for however long it takes). The parent sends { start: { passwordJoins } } and
// { stop: true } (answered with the summaries), then disconnects.
import { isOpcode, player } from './cl5-clients.mjs';
import { request } from './raw-ws.mjs';
import { summary } from './stats.mjs';

const [port, localAddress] = [Number(process.argv[2]), process.argv[3]];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const PASSWORD = 'correct horse';
const REPLY_TIMEOUT_MS = 5000;
// ~830 samples in a 5 s row, so its p99 is the 8th-worst sample: with one connection at 40 a second (the
// server allows 50 a connection) it was the 2nd-worst of 200, and one or two chance delays in a row moved a
// row's p99 (and its baseline's) by several ms either way. Each connection sends every 24 ms.
const KEEPALIVE_EVERY_MS = 6;
const KEEPERS = 4;

const keepers = await Promise.all(Array.from({ length: KEEPERS }, (_, i) => player(port, `bystander${i}`, 'bystander', { localAddress })));
const host = await player(port, 'host', 'bystander', { localAddress });
const joiner = await player(port, 'joiner', 'bystander', { localAddress });
const lobby = { name: 'honest', max_players: 2, password: PASSWORD, locked: false, enable_relay: false };
const created = await request(host.client, { opcode: 'CREATE_LOBBY', payload: lobby }, isOpcode('CREATE_ACK'));
if (created.payload !== 'ok') throw new Error(`bystander lobby: ${created.payload}`);

/** Keepalives in flight, by listener: when each was sent. */
const pending = new Map();
let keepalives = [];
let lost = 0;
const onText = (text) => {
  const { opcode, listener } = JSON.parse(text);
  const sentAt = pending.get(listener);
  if (opcode !== 'KEEPALIVE_ACK' || sentAt === undefined) return;
  pending.delete(listener);
  keepalives.push(performance.now() - sentAt);
};
for (const keeper of keepers) keeper.client.onText = onText;
let ticker = null;
let joining = false;
let joins = [];

/** When the join in flight was sent. */
let joinSentAt = null;
let joinsLost = 0;

const JOIN_EVERY_MS = 1050;

/** Each start's join loop has its own number: a loop still asleep when the next start came ends there. */
let generation = 0;
/** When the joiner last left the lobby: the next join waits for the cooldown from there, whichever loop makes it. */
let leftAt = -Infinity;

async function joinLoop(mine) {
  const going = () => joining && generation === mine;
  // An honest player joins at most once a second: the server's join cooldown (--join-cooldown 1).
  await sleep(Math.max(0, leftAt + JOIN_EVERY_MS - performance.now()));
  while (going()) {
    joinSentAt = performance.now();
    const joined = await request(joiner.client, { opcode: 'JOIN_LOBBY', payload: { name: 'honest', password: PASSWORD } }, isOpcode('JOIN_ACK'));
    if (joined.payload !== 'ok') throw new Error(`honest join: ${joined.payload}`);
    if (going()) joins.push(performance.now() - joinSentAt); // else stopped meanwhile: counted as lost
    joinSentAt = null;
    await request(joiner.client, { opcode: 'LEAVE_LOBBY' }, isOpcode('LEAVE_ACK'));
    leftAt = performance.now();
    if (going()) await sleep(JOIN_EVERY_MS);
  }
}
let joinLoopDone = Promise.resolve();

process.on('message', async (message) => {
  if (message.start) {
    keepalives = [];
    joins = [];
    lost = 0;
    joinsLost = 0;
    let n = 0;
    ticker = setInterval(() => {
      n += 1;
      const listener = String(n);
      pending.set(listener, performance.now());
      keepers[n % KEEPERS].client.send(JSON.stringify({ opcode: 'KEEPALIVE', listener }));
      // One that has waited too long counts as lost, and as a sample of the timeout.
      for (const [key, sentAt] of pending)
        if (performance.now() - sentAt > REPLY_TIMEOUT_MS) {
          pending.delete(key);
          lost += 1;
          keepalives.push(REPLY_TIMEOUT_MS);
        }
    }, KEEPALIVE_EVERY_MS);
    joining = Boolean(message.start.passwordJoins);
    generation += 1;
    const mine = generation;
    // After the previous loop's last leave, so the joiner is never in the lobby twice.
    if (joining) joinLoopDone = joinLoopDone.then(() => joinLoop(mine));
  } else if (message.stop) {
    clearInterval(ticker);
    // Unanswered after a second: lost, each a sample of how long it has waited so far (younger ones are in flight).
    for (const sentAt of pending.values()) {
      if (performance.now() - sentAt < 1000) continue;
      lost += 1;
      keepalives.push(performance.now() - sentAt);
    }
    pending.clear();
    joining = false;
    // A join still unanswered after a second is lost, a sample of how long it has waited (the loop ends once it is answered).
    await Promise.race([joinLoopDone, sleep(1000)]);
    if (joinSentAt !== null && performance.now() - joinSentAt >= 1000) {
      joinsLost += 1;
      joins.push(performance.now() - joinSentAt);
    }
    process.send({ keepalive: summary(keepalives), lost, passwordJoin: joins.length ? { ...summary(joins), lost: joinsLost } : null });
  }
});
process.on('disconnect', () => {
  for (const p of [...keepers, host, joiner]) p.client.close();
  process.exit(0);
});
process.send({ ready: true });
