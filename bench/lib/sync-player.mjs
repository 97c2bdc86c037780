// One player of bench/sync.mjs's "one process per player" figures: its own engine, Scratch list and
// heap. The parent routes the messages and tells it what to do (IPC); it measures its own work.
// Messages: init, fill (the host's list), join (a link opens), flush, frame (edits + flush, timed),
// deliver (receive messages, timed), dump. A `control` player has no binding: a plain Scratch list
// whose "deliver" makes `remoteEdits` edits of the same mix instead (what Scratch alone costs).
import { importTs } from '../../scripts/import-ts.mjs';
import { cpuMs, editFrame, link, makePlayer, prng } from './merged-player.mjs';

const sync = await importTs('bench/lib/sync-entry.ts');
let player = null;
let config = null;
let random = null;
let remoteRandom = null;
const out = [];
const errors = [];

const handlers = {
  init(m) {
    config = m;
    random = prng(12 + m.k);
    remoteRandom = prng(1000 + m.k);
    player = makePlayer(sync, {
      id: m.id,
      name: `p${m.k}`,
      list: !m.control,
      host: () => m.hostId,
      onSend: (to, text) => out.push({ to, text }),
      onError: (error) => errors.push(error),
    });
  },
  fill({ items }) {
    for (let i = 0; i < items; i += 1) player.list.value.push(`item ${i}`);
    player.list._monitorUpToDate = false;
  },
  join({ peer }) {
    if (!config.control) link(player, peer);
  },
  flush() {
    player.engine.flush();
  },
  frame({ frame }) {
    const cpu0 = cpuMs();
    const started = performance.now();
    editFrame(player.list, random, config.k, frame, config.mix, config.edits);
    if (!config.control) player.engine.flush();
    return { wall: performance.now() - started, cpu: cpuMs() - cpu0 };
  },
  deliver({ messages, remoteEdits = 0, frame = 0 }) {
    const cpu0 = cpuMs();
    const started = performance.now();
    if (config.control) editFrame(player.list, remoteRandom, config.k + 10, frame, config.mix, remoteEdits);
    else for (const { from, text } of messages) for (const packet of sync.decodePeerMessage(text)) player.engine.receive(from, packet);
    return { wall: performance.now() - started, cpu: cpuMs() - cpu0 };
  },
  dump() {
    return { list: player.list.value };
  },
};

process.on('message', (message) => {
  let reply;
  try {
    reply = handlers[message.type](message) ?? {};
    if (errors.length) reply.error = errors.join('; ');
  } catch (error) {
    reply = { error: error.stack };
  }
  reply.out = out.splice(0);
  process.send(reply);
});
process.send({ ready: true });
