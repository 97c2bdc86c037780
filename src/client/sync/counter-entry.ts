// A counter ('counter': G_VAR/P_VAR add/set/state): every player's changes add up, a reset discards
// the changes its player had seen (counter.ts has the rule). Binding shows the shared total.
import type { CounterPacket } from '../../protocol/index.js';
import { CloudLinkError } from '../errors.js';
import { Counter } from './counter.js';
import type { EntryContext, SyncEntry } from './entry.js';
import type { CounterStore, SyncStore } from './stores.js';

/** The writer of changes made before this player had an instance id (not connected yet). */
const UNCONNECTED = '';

export class CounterEntry implements SyncEntry {
  readonly kind = 'counter';
  store: CounterStore | null = null;
  private counter = new Counter(UNCONNECTED);

  constructor(private readonly ctx: EntryContext) {}

  attach(store: SyncStore): void {
    this.store = store as CounterStore;
    this.store.take();
    this.store.write(this.counter.value);
  }

  detach(): void {
    this.store = null;
  }

  flush(): void {
    this.detect();
  }

  joined(peer: string): void {
    this.adoptMyId();
    const state = this.counter.state();
    if (Object.keys(state.entries).length === 0 && !state.set) return;
    this.ctx.sendTo(peer, [this.ctx.packet({ opcode: 'VAR', method: 'state', seq: 0, writer: this.ctx.myId(), payload: state })]);
  }

  left(): void {}

  receive(from: string, packet: CounterPacket): void {
    this.detect();
    const writer = packet.writer ?? from;
    let changed: boolean;
    if (packet.method === 'add') changed = this.counter.apply({ t: 'add', writer, n: packet.seq, total: packet.payload });
    else if (packet.method === 'set') changed = this.counter.apply({ t: 'set', version: [packet.seq, writer], ...packet.payload });
    else {
      const { entries, set } = packet.payload;
      changed = this.counter.merge({ entries, set: set && { t: 'set', ...set } });
    }
    if (changed) this.store?.write(this.counter.value, writer);
  }

  /** The store's changes this frame, as a reset and/or an add. */
  private detect(): void {
    this.adoptMyId();
    if (!this.store) return;
    const { reset, delta } = this.store.take();
    if (reset === null && delta === 0) return;
    if ((reset !== null && !Number.isFinite(reset)) || !Number.isFinite(delta)) {
      // JSON cannot carry it, and a total that is not a number would stay so for everyone.
      this.ctx.error(new CloudLinkError('invalid', `counter "${this.ctx.id}" only counts finite numbers; the change to ${reset ?? delta} was not sent`));
      this.store.write(this.counter.value);
      return;
    }
    const me = this.counter.writer;
    const packets = [];
    if (reset !== null) {
      const op = this.counter.set(reset);
      packets.push(this.ctx.packet({ opcode: 'VAR', method: 'set', seq: op.version[0], writer: me, payload: { value: op.value, seen: op.seen } }));
    }
    if (delta !== 0) {
      const op = this.counter.add(delta);
      packets.push(this.ctx.packet({ opcode: 'VAR', method: 'add', seq: op.n, writer: me, payload: op.total }));
    }
    // Made before connecting: they travel in the state a peer gets when its link opens.
    if (me !== UNCONNECTED) this.ctx.send(packets);
  }

  /**
   * Changes are counted under my instance id. One given before I had one (or under the id of an
   * earlier connection) is moved to the new id: a counter only ever adds entries, so the old entry
   * stays as it is and mine starts from it.
   */
  private adoptMyId(): void {
    const me = this.ctx.myId();
    if (!me || me === this.counter.writer) return;
    const state = this.counter.state();
    const was = this.counter.writer;
    if (was === UNCONNECTED) {
      const mine = state.entries[UNCONNECTED];
      delete state.entries[UNCONNECTED];
      if (mine) state.entries[me] = mine;
      if (state.set) {
        const seen = state.set.seen[UNCONNECTED];
        delete state.set.seen[UNCONNECTED];
        if (seen) state.set.seen[me] = seen;
        if (state.set.version[1] === UNCONNECTED) state.set.version = [state.set.version[0], me];
      }
    }
    this.counter = new Counter(me);
    this.counter.merge(state);
  }
}
