// What bench/sync.mjs's merged-list players share, in one process (its Lobby) or one process each
// (bench/lib/sync-player.mjs): a player's engine over a Scratch-shaped list, what Scratch's list
// blocks do, and the edits of one frame.
import { createHash } from 'node:crypto';

/** Scratch's list objects are plain {id, name, type, value} records. */
export const scratchList = (name, items) => ({ id: name, name, type: 'list', value: items, _monitorUpToDate: false });

/** Instance ids are UUIDs (their length shows in every packet); deterministic per name. */
export const uuid = (name) => {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** Deterministic PRNG (reproducible edit positions). */
export function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** What scratch-vm's list blocks do: edit `list.value` in place, then clear the monitor flag. */
export const block = {
  add(list, value) {
    list.value.push(value);
    list._monitorUpToDate = false;
  },
  insertAt(list, index, value) {
    list.value.splice(index, 0, value);
    list._monitorUpToDate = false;
  },
  deleteOf(list, index) {
    list.value.splice(index, 1);
    list._monitorUpToDate = false;
  },
  replace(list, index, value) {
    list.value[index] = value;
    list._monitorUpToDate = false;
  },
};

/**
 * Player k's `count` edits of one frame. `mix`: 'random' — appends, inserts, deletes and replaces at
 * random places (≈ 20/20/40/20 %: each edit moves part of the array on every player); 'log' — what a
 * chat or score log does: appends, and the oldest item deleted (≈ 50/50 %). Counts kinds in `kinds`.
 */
export function editFrame(list, random, k, frame, mix, count, kinds) {
  for (let i = 0; i < count; i += 1) {
    // Appends and inserts as often as deletes: the list stays near its length.
    const r = random();
    const length = list.value.length;
    const at = Math.floor(random() * length);
    let kind;
    if (mix === 'log') {
      kind = r < 0.5 ? 'append' : 'delete';
      if (r < 0.5) block.add(list, `p${k}-${frame}-${i}`);
      else block.deleteOf(list, 0);
    } else {
      kind = r < 0.2 ? 'append' : r < 0.4 ? 'insert' : r < 0.8 ? 'delete' : 'replace';
      if (r < 0.2) block.add(list, `p${k}-${frame}-${i}`);
      else if (r < 0.4) block.insertAt(list, at, `p${k}-${frame}-${i}`);
      else if (r < 0.8 && length > 0) block.deleteOf(list, at);
      else block.replace(list, at, `r${k}-${frame}-${i}`);
    }
    if (kinds) kinds[kind] += 1;
  }
}

/**
 * A player: an engine whose transport encodes each message (`onSend(peer, text, packets)`), the Scratch
 * list "log" bound as a merged list (unless `list` is false) and `score` bound as a counter.
 */
export function makePlayer(sync, { id, name, host, score, onSend, onError, list = true }) {
  const player = { id, name, peers: [], list: scratchList('log', []), score };
  player.engine = new sync.SyncEngine(
    {
      myId: () => id,
      peers: () => player.peers,
      host,
      send: (peer, packets) => onSend(peer, sync.encodePeerMessage(packets), packets.length),
    },
    (error) => onError(`${name}: ${error.message}`),
  );
  if (list) player.engine.bind('log', null, sync.mergedListStore(player.list));
  if (score) player.engine.bind('score', null, score);
  return player;
}

/** Frames-alike: each player's link to `peer` opens (the engine sends its state on its next flush). */
export function link(player, peer) {
  player.peers.push(peer);
  player.engine.peerJoined(peer);
}

/** CPU time of this process (all its threads: V8's GC helpers included) in ms. */
export function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
