// Which of a link's own ICE candidates are worth a signal. Only UDP candidates are sent: host TCP
// candidates are useless between our peers (Chromium offers only `active` ones, which need a passive
// side, and @roamhq/wrtc re-gathers its passive ones on a fresh port again and again while other links
// of the process form: 100+ per link with 16 players, each relayed by the server for nothing). Each
// candidate is sent once per link: a duplicate adds nothing. (Candidates that differ only in their
// port are distinct: two TURN allocations share a foundation, and each may be the one that works.)

/** The fields of an `a=candidate` line we decide on: `foundation component transport priority address port typ type ...`. */
function parse(line: string): { key: string; transport: string; ufrag: string } | null {
  const fields = line
    .replace(/^a=/, '')
    .replace(/^candidate:/, '')
    .split(' ');
  if (fields.length < 8) return null;
  const [, component, transport, , address, port, , type] = fields;
  const ufragAt = fields.indexOf('ufrag');
  return {
    key: `${component} ${transport!.toLowerCase()} ${address} ${port} ${type}`,
    transport: transport!.toLowerCase(),
    ufrag: ufragAt >= 0 ? (fields[ufragAt + 1] ?? '') : '',
  };
}

export class CandidateFilter {
  private readonly sent = new Set<string>();
  /** Candidates not sent (TCP, duplicates): signals saved. */
  skipped = 0;

  /** True if `candidate` should go to the peer; false (and counted) if the peer has it or cannot use it. */
  accept(candidate: RTCIceCandidateInit): boolean {
    // An end-of-candidates marker or a line we cannot read: pass it on, the receiver decides.
    const fields = parse(candidate.candidate ?? '');
    if (!fields) return true;
    // The ICE generation counts: after an ICE restart (a new ufrag) the same address is a new candidate.
    const key = `${candidate.usernameFragment ?? fields.ufrag} ${fields.key}`;
    if (fields.transport !== 'udp' || this.sent.has(key)) {
      this.skipped += 1;
      return false;
    }
    this.sent.add(key);
    return true;
  }
}
