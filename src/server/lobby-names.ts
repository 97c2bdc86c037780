// Readable names for the lobbies quick join creates: "amber-fox", to which the store appends the game's
// lobby counter ("amber-fox-12"), which makes the name new.
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'amber',
  'brave',
  'calm',
  'clever',
  'cosmic',
  'crimson',
  'dusty',
  'eager',
  'fuzzy',
  'gentle',
  'golden',
  'happy',
  'icy',
  'jolly',
  'lucky',
  'mighty',
  'misty',
  'noble',
  'quick',
  'rapid',
  'silver',
  'sunny',
  'swift',
  'tiny',
  'wild',
];
const NOUNS = [
  'badger',
  'comet',
  'dragon',
  'eagle',
  'falcon',
  'fox',
  'gecko',
  'heron',
  'koala',
  'lynx',
  'meteor',
  'otter',
  'panda',
  'pixel',
  'planet',
  'rocket',
  'robin',
  'tiger',
  'walrus',
  'wizard',
  'wolf',
  'yeti',
  'zebra',
];

/** A random "adjective-noun" prefix for a quick-join lobby. */
export const readableLobbyPrefix = (): string => `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}`;
