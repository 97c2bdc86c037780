// Who is a member of a relay lobby, as the relay process learns it: a member that signals the relay
// is one; for a packet addressed to anyone else the server is asked (the answer comes back through
// the IPC channel). Until it answers the recipient counts as a member, so the packet is held as for a
// member that has not linked yet (and dropped with the rest if the answer is no). Questions in flight
// are bounded: past MAX_ASKING, unknown recipients count as non-members.
const MAX_ASKING = 64;

export class RelayMembers {
  private readonly known = new Map<string, 'member' | 'asking'>();
  private asking = 0;

  constructor(private readonly ask: (id: string) => void) {}

  isMember(id: string): boolean {
    if (this.known.has(id)) return true;
    if (this.asking >= MAX_ASKING) return false;
    this.known.set(id, 'asking');
    this.asking += 1;
    this.ask(id);
    return true;
  }

  joined(id: string): void {
    if (this.known.get(id) === 'asking') this.asking -= 1;
    this.known.set(id, 'member');
  }

  /** The server's answer: whether `id` counts as a member now (it may have signalled meanwhile). */
  answered(id: string, member: boolean): boolean {
    if (this.known.get(id) !== 'asking') return this.known.has(id);
    this.asking -= 1;
    if (member) this.known.set(id, 'member');
    else this.known.delete(id);
    return member;
  }

  left(id: string): void {
    if (this.known.get(id) === 'asking') this.asking -= 1;
    this.known.delete(id);
  }
}
