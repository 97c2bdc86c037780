// Lobby membership as the relay process learns it (relay-members.ts): the server is asked about a
// recipient the relay has not heard from, the packet counts as held meanwhile, and questions in
// flight are bounded.
import { describe, expect, it } from 'vitest';
import { RelayMembers } from '../../src/server/relay/relay-members.js';

describe('RelayMembers', () => {
  it('a member that signalled is one without asking; an unknown id is asked about once, and counts until answered', () => {
    const asked: string[] = [];
    const members = new RelayMembers((id) => asked.push(id));
    members.joined('ann');
    expect(members.isMember('ann')).toBe(true);
    expect(members.isMember('bob')).toBe(true);
    expect(members.isMember('bob')).toBe(true);
    expect(asked).toEqual(['bob']);
    expect(members.answered('bob', true)).toBe(true);
    expect(members.isMember('bob')).toBe(true);
    expect(asked).toEqual(['bob']);
  });

  it('a no forgets the id (its held packets go); a member that signalled meanwhile stays one', () => {
    const asked: string[] = [];
    const members = new RelayMembers((id) => asked.push(id));
    members.isMember('eve');
    expect(members.answered('eve', false)).toBe(false);
    members.isMember('eve');
    expect(asked).toEqual(['eve', 'eve']);
    members.isMember('cat');
    members.joined('cat');
    expect(members.answered('cat', false)).toBe(true);
  });

  it('at most 64 questions in flight: past them an unknown id is no member', () => {
    const asked: string[] = [];
    const members = new RelayMembers((id) => asked.push(id));
    for (let i = 0; i < 64; i += 1) expect(members.isMember(`id${i}`)).toBe(true);
    expect(members.isMember('one-too-many')).toBe(false);
    members.answered('id0', false);
    members.left('id1');
    expect(members.isMember('now-there-is-room')).toBe(true);
    expect(asked).toHaveLength(65);
  });
});
