// Which of a link's own ICE candidates leave as signals (src/peer/candidate-filter.ts).
import { describe, expect, it } from 'vitest';
import { CandidateFilter } from '../../src/peer/candidate-filter.js';

const udp = (foundation: string, port: number, ufrag = 'zQBY') => ({
  candidate: `candidate:${foundation} 1 udp 2122194687 192.0.2.2 ${port} typ host generation 0 ufrag ${ufrag} network-id 1`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
const tcp = (port: number) => ({
  candidate: `candidate:2398920056 1 tcp 1518214911 192.0.2.2 ${port} typ host tcptype passive generation 0 ufrag zQBY network-id 1`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});

describe('CandidateFilter', () => {
  it('sends each UDP candidate once, and no TCP candidate', () => {
    const filter = new CandidateFilter();
    expect(filter.accept(udp('3229573512', 41873))).toBe(true);
    expect(filter.accept(udp('1510613869', 46403))).toBe(true);
    expect(filter.accept(tcp(44737))).toBe(false);
    expect(filter.accept(tcp(54821))).toBe(false);
    // The same one again (a duplicate) is not sent...
    expect(filter.accept(udp('3229573512', 41873))).toBe(false);
    expect(filter.skipped).toBe(3);
    // ...but one on another port is another candidate (two TURN allocations share a foundation).
    expect(filter.accept(udp('3229573512', 50000))).toBe(true);
  });

  it('sends the candidates of a new ICE generation (an ICE restart changes the ufrag)', () => {
    const filter = new CandidateFilter();
    expect(filter.accept(udp('3229573512', 41873, 'aaaa'))).toBe(true);
    expect(filter.accept(udp('3229573512', 41999, 'bbbb'))).toBe(true);
    expect(
      filter.accept({
        ...udp('3229573512', 42000, 'cccc'),
        candidate: udp('3229573512', 42000, 'cccc').candidate.replace(/ ufrag \S+/, ''),
        usernameFragment: 'dddd',
      }),
    ).toBe(true);
  });

  it('passes on what it cannot read (an end-of-candidates marker): the receiver decides', () => {
    const filter = new CandidateFilter();
    expect(filter.accept({ candidate: '', sdpMid: '0' })).toBe(true);
    expect(filter.accept({ candidate: '', sdpMid: '0' })).toBe(true);
    expect(filter.skipped).toBe(0);
  });
});
