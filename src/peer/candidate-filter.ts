// Which of a link's own ICE candidates are worth a signal. Only UDP candidates are sent: host TCP
// candidates are useless between our peers (browsers only ever offer passive ones to an active side
// that never comes, and @roamhq/wrtc re-gathers them on a fresh port again and again while other
// links form: 100+ per link with 16 players, each relayed by the server and then dropped by the
// receiver). Each candidate is sent once per link: a duplicate, or one re-gathered on another port
// for what was already sent (same foundation, component and ICE generation), adds nothing.

/** The fields of an `a=candidate` line we decide on: `foundation component transport priority address port typ type ...`. */
function parse(line: string): { foundation: string; component: string; transport: string; ufrag: string } | null {
  const fields = line
    .replace(/^a=/, '')
    .replace(/^candidate:/, '')
    .split(' ');
  if (fields.length < 8) return null;
  const ufragAt = fields.indexOf('ufrag');
  return {
    foundation: fields[0]!,
    component: fields[1]!,
    transport: fields[2]!.toLowerCase(),
    ufrag: ufragAt >= 0 ? (fields[ufragAt + 1] ?? '') : '',
  };
}

export class CandidateFilter {
  private readonly sent = new Set<string>();
  /** Candidates not sent (TCP, duplicates, re-gathered): signals saved. */
  skipped = 0;

  /** True if `candidate` should go to the peer; false (and counted) if the peer has it or cannot use it. */
  accept(candidate: RTCIceCandidateInit): boolean {
    const line = candidate.candidate ?? '';
    // An end-of-candidates marker or a line we cannot read: pass it on, the receiver decides.
    const fields = parse(line);
    if (!fields) return true;
    const key = `${candidate.usernameFragment ?? fields.ufrag} ${fields.foundation} ${fields.component} ${fields.transport}`;
    if (fields.transport !== 'udp' || this.sent.has(key)) {
      this.skipped += 1;
      return false;
    }
    this.sent.add(key);
    return true;
  }
}
