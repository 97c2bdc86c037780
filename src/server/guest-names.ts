// Guest names for players who INIT without a username (a token the server cannot map to a name):
// "Guest 4821", unique per game because the store claims it atomically (addPlayer).
import { randomInt } from 'node:crypto';
import type { User } from '../protocol/index.js';
import type { LobbyStore } from './store.js';

/** Attempts per digit count before using one digit more (a crowded game still finds a free name fast). */
const TRIES_PER_WIDTH = 4;

/** Registers `user` under a fresh guest name; resolves with the name. */
export async function addGuest(store: LobbyStore, game: string, user: Omit<User, 'username'>): Promise<string> {
  for (let width = 4; ; width += 1) {
    for (let attempt = 0; attempt < TRIES_PER_WIDTH; attempt += 1) {
      const username = `Guest ${randomInt(10 ** (width - 1), 10 ** width)}`;
      if ((await store.addPlayer(game, { ...user, username } as User)) === 'ok') return username;
    }
  }
}
