// The named channels a group of links carries (every link gets every label) and the rule that keeps
// their ids apart (protocol.md §3, NEW_CHAN). Used by the client's mesh and by the server's relay peer.
//
// Ids are per link. On each link the initiator allocates even ids and the answerer odd ones, and both
// advance past every id they receive, so two different labels never get the same id. When both sides
// open the same label at once (two different ids), the lower id wins on both sides; the loser's
// channel is closed silently. A NEW_CHAN reusing an id that another label holds is refused.
import { FIRST_CHANNEL_ID, LAST_CHANNEL_ID } from '../protocol/index.js';
import { DEFAULT_CHANNEL, type PeerLink } from './link.js';

export interface NewChan {
  id: number;
  label: string;
  ordered: boolean;
}

export class ChannelTable {
  /** label → ordered. */
  private readonly wanted = new Map<string, boolean>();
  /** The next id I allocate on each link. */
  private readonly nextId = new WeakMap<PeerLink, number>();

  constructor(
    /** Every link of the group (only connected ones get channels). */
    private readonly links: () => Iterable<PeerLink>,
    /** Sends my NEW_CHAN on a link's `default` channel. */
    private readonly announce: (link: PeerLink, payload: NewChan) => void,
  ) {}

  labels(): string[] {
    return [...this.wanted.keys()];
  }

  has(label: string): boolean {
    return this.wanted.has(label);
  }

  /** False only for a label carried as fast (unordered, may drop); `default` and unknown labels count as ordered. */
  isOrdered(label: string): boolean {
    return this.wanted.get(label) ?? true;
  }

  /**
   * Carries `label` on every link, now and on links that open later. A label already carried keeps
   * its ordering, but is (re)created on links where it is missing (e.g. the other side closed it:
   * negotiated channels close on both ends).
   */
  open(label: string, ordered: boolean): void {
    const known = this.wanted.get(label);
    if (known === undefined) this.wanted.set(label, ordered);
    for (const link of this.links()) if (link.connected) this.openOn(link, label, known ?? ordered);
  }

  close(label: string): void {
    this.wanted.delete(label);
    for (const link of this.links()) link.removeChannel(label);
  }

  /** A link opened: it gets every label. */
  linkOpened(link: PeerLink): void {
    for (const [label, ordered] of this.wanted) this.openOn(link, label, ordered);
  }

  /** NEW_CHAN from the peer of `link`, which arrived on `channel`. Throws with the reason when refused. */
  received(link: PeerLink, channel: string, { id, label, ordered }: NewChan): void {
    const peer = link.peerId;
    if (channel !== DEFAULT_CHANNEL) throw new Error(`NEW_CHAN is only valid on "default" (got it on "${channel}")`);
    if (label === DEFAULT_CHANNEL) throw new Error(`NEW_CHAN from ${peer} for "default" ignored`);
    const taken = link.labelOfId(id);
    if (taken !== undefined && taken !== label) throw new Error(`NEW_CHAN from ${peer}: id ${id} for "${label}" is already used by "${taken}"`);
    this.skip(link, id);
    const mine = link.channelId(label);
    if (mine === null || mine > id) {
      try {
        if (mine !== null) link.removeChannel(label, true);
        link.addChannel(label, id, ordered);
      } catch (error) {
        throw new Error(`cannot open channel "${label}" with ${peer}: ${(error as Error).message}`);
      }
    }
    // Channels belong to the whole group: a label new here is opened on the other links too.
    if (!this.wanted.has(label)) this.open(label, ordered);
  }

  private openOn(link: PeerLink, label: string, ordered: boolean): void {
    if (link.hasChannel(label)) return;
    const id = this.allocate(link);
    link.addChannel(label, id, ordered);
    this.announce(link, { id, label, ordered });
  }

  private first(link: PeerLink): number {
    return FIRST_CHANNEL_ID + (link.initiator ? 0 : 1);
  }

  private allocate(link: PeerLink): number {
    const id = this.nextId.get(link) ?? this.first(link);
    if (id > LAST_CHANNEL_ID) throw new Error(`too many channels on the link to ${link.peerId}`);
    this.nextId.set(link, id + 2);
    return id;
  }

  /** The other side used `id`: never allocate it (or anything below it) on this link again. */
  private skip(link: PeerLink, id: number): void {
    let next = this.nextId.get(link) ?? this.first(link);
    while (next <= id) next += 2;
    this.nextId.set(link, next);
  }
}
