// A LobbyStore in Redis, shared by several server nodes. Every command that decides a lobby rule is one
// Lua script (redis-scripts.ts, run by EVALSHA through ioredis' defineCommand), never a read-modify-write
// from Node, so two nodes can race for the same seat or name and exactly one wins. Keys are namespaced
// per game, `{prefix}{game}:players` and so on (the braces keep one game in one cluster slot). The
// caller owns the ioredis client (connects and quits it).
import { usernameSkeleton } from '../protocol/username.js';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { User } from '../protocol/index.js';
import type { PasswordHash } from './password.js';
import { byCreation, listed, matchesFilter } from './lobby-filter.js';
import { GAME_KEYS, GAMES_KEY, GAMES_SCRIPT, SCRIPTS, type ScriptName } from './redis-scripts.js';
import { VersionedReads } from './versioned-reads.js';
import type {
  CloseResult,
  CreateResult,
  Departure,
  GameCounts,
  JoinResult,
  KickResult,
  Listed,
  LobbyFilter,
  LobbyRecord,
  LobbySettings,
  LobbyStore,
  QuickCreate,
  QuickJoinResult,
  Resumed,
  SetHostResult,
  SetSettingsResult,
  SettingsChange,
} from './store.js';
import { byGameName, copyLobby } from './store.js';

/** A password hash as stored: `salt.hash`, both base64; compared as a string by the join script. */
const storedPassword = (hash: PasswordHash): string => `${hash.salt.toString('base64')}.${hash.hash.toString('base64')}`;
const passwordHash = (stored: string): PasswordHash => {
  const [salt = '', hash = ''] = stored.split('.');
  return { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
};

type StoredSettings = Omit<LobbySettings, 'password'> & { password: string | null };
type StoredLobby = Omit<LobbyRecord, 'settings'> & { settings: StoredSettings };

const stored = (settings: LobbySettings): StoredSettings => ({ ...settings, password: settings.password && storedPassword(settings.password) });

/** Lua's cjson writes an empty array as `{}`. */
const array = <T>(value: T[] | Record<string, never>): T[] => (Array.isArray(value) ? value : []);

const record = (stored: StoredLobby): LobbyRecord => ({
  ...stored,
  members: array(stored.members),
  settings: { ...stored.settings, password: stored.settings.password === null ? null : passwordHash(stored.settings.password) },
});

/** A script's answer as the interface has it: lobbies with their password hash, empty arrays as arrays. */
function plain(answer: unknown): unknown {
  if (answer === null || typeof answer !== 'object') return answer;
  const fields = answer as Record<string, unknown>;
  if ('members' in fields) return record(fields as unknown as StoredLobby);
  for (const key of ['lobby', 'departure'] as const) if (key in fields) fields[key] = plain(fields[key]);
  return fields;
}

/**
 * Games whose visible lobbies a node keeps for searches. The status page searches every game once a second
 * (its oldest 20 lobbies each), so fewer than the games served would have it push out the lobby screens'
 * games and read them all again each second. What is kept is at most a copy of the visible lobbies.
 */
const VISIBLE_GAMES_KEPT = 4096;
/** And read again after this long even if unchanged (a node of an older version does not mark its changes). */
const VISIBLE_LOBBIES_MAX_AGE_MS = 5000;

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/** Games counted per script run (RedisStore.games). */
const GAMES_PER_SCRIPT = 250;

export class RedisStore implements LobbyStore {
  /** The visible lobbies of the games searched lately (LIST_LOBBIES with a filter), oldest first. */
  private readonly visibleLobbies = new VersionedReads<LobbyRecord[]>(VISIBLE_GAMES_KEPT, VISIBLE_LOBBIES_MAX_AGE_MS);

  /** @param prefix namespaces every key (tests give each store run its own). */
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'cl5:',
  ) {
    for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(`cl5_${name}`, { numberOfKeys: GAME_KEYS.length + 1, lua });
    redis.defineCommand('cl5_games', { numberOfKeys: 1, lua: GAMES_SCRIPT });
  }

  private key(game: string, part: (typeof GAME_KEYS)[number]): string {
    return `${this.prefix}{${game}}:${part}`;
  }

  /** Runs one script on the game's keys and the set of games (with the game's name last); its JSON answer, parsed. */
  private async run<T>(name: ScriptName, game: string, ...args: string[]): Promise<T> {
    const command = (this.redis as unknown as Record<string, (...args: string[]) => Promise<string>>)[`cl5_${name}`]!;
    const answer = await command.call(this.redis, ...GAME_KEYS.map((part) => this.key(game, part)), this.prefix + GAMES_KEY, ...args, game);
    return plain(JSON.parse(answer)) as T;
  }

  async addPlayer(game: string, user: User): Promise<'ok' | 'taken'> {
    return this.run('addPlayer', game, JSON.stringify(user), usernameSkeleton(user.username));
  }

  async removePlayer(game: string, instanceId: string): Promise<void> {
    // The name's skeleton is computed here (Lua cannot); the script frees it only if it is still this player's.
    const raw = await this.redis.hget(this.key(game, 'players'), instanceId);
    const skeleton = raw === null ? '' : usernameSkeleton((JSON.parse(raw) as User).username);
    await this.run('removePlayer', game, instanceId, skeleton);
  }

  async players(game: string): Promise<User[]> {
    return (await this.redis.hvals(this.key(game, 'players'))).map((raw) => JSON.parse(raw) as User);
  }

  async games(): Promise<GameCounts[]> {
    const command = (this.redis as unknown as { cl5_games(...args: string[]): Promise<[string, number, number][]> }).cl5_games;
    const key = this.prefix + GAMES_KEY;
    // A page of the set at a time, each counted by one short script: with thousands of games one script
    // for all would hold Redis (and every node's players) for tens of ms (~3 µs a game).
    const counted = new Map<string, GameCounts>();
    const pages = this.redis.sscanStream(key, { count: GAMES_PER_SCRIPT });
    for await (const page of pages as AsyncIterable<string[]>) {
      // SSCAN's count is a hint: a page may hold more.
      for (let at = 0; at < page.length; at += GAMES_PER_SCRIPT) {
        const names = page.slice(at, at + GAMES_PER_SCRIPT);
        for (const [game, players, lobbies] of await command.call(this.redis, key, this.prefix, ...names)) counted.set(game, { game, players, lobbies });
      }
    }
    return [...counted.values()].sort(byGameName);
  }

  /**
   * Games found by scanning the whole keyspace: a game's players and lobbies hashes exist while they have an
   * entry (Redis deletes empty hashes). Costs the keyspace's size, so only a node's start reads it (reindex).
   */
  private async scannedGames(): Promise<string[]> {
    const found = new Set<string>();
    const start = this.prefix.length + 1;
    for (const part of ['players', 'lobbies'] as const) {
      const suffix = `}:${part}`;
      const stream = this.redis.scanStream({ match: `${escapeGlob(this.prefix)}{*${suffix}`, count: 100 });
      for await (const keys of stream as AsyncIterable<string[]>) for (const key of keys) found.add(key.slice(start, -suffix.length));
    }
    return [...found].sort();
  }

  /** Indexes every game again (at a node's start: games and lobbies written by an older version may be missing from an index). */
  async reindex(): Promise<void> {
    for (const game of await this.scannedGames()) await this.run('reindex', game);
  }

  async list(game: string, limit: number): Promise<Listed<string>> {
    const { first, total } = await this.run<{ first: string[] | Record<string, never>; total: number }>('list', game, String(limit));
    return { first: array(first), total };
  }

  async find(game: string, name: string): Promise<LobbyRecord | null> {
    const raw = await this.redis.hget(this.key(game, 'lobbies'), name);
    return raw === null ? null : record(JSON.parse(raw));
  }

  async lobbies(game: string): Promise<LobbyRecord[]> {
    return (await this.redis.hvals(this.key(game, 'lobbies'))).map((raw) => record(JSON.parse(raw)));
  }

  async lobbyOf(game: string, instanceId: string): Promise<LobbyRecord | null> {
    return this.run('lobbyOf', game, instanceId);
  }

  async listMatching(game: string, filter: LobbyFilter, limit: number): Promise<Listed<LobbyRecord>> {
    // A read: nothing is decided, so Node filters the game's visible lobbies, read again only once they changed.
    const version = await this.redis.get(this.key(game, 'lobbiesChanged'));
    const visible = await this.visibleLobbies.get(game, version, async () =>
      (await this.lobbies(game)).filter((lobby) => !lobby.settings.hidden).sort(byCreation),
    );
    return listed(visible, (lobby) => matchesFilter(lobby, filter), limit, copyLobby);
  }

  async create(game: string, name: string, host: User, settings: LobbySettings): Promise<CreateResult> {
    return this.run('create', game, game, name, JSON.stringify(host), JSON.stringify(stored(settings)));
  }

  async quickJoin(game: string, player: User, filter: LobbyFilter, create: QuickCreate): Promise<QuickJoinResult> {
    return this.run('quickJoin', game, game, JSON.stringify(player), JSON.stringify(filter), create.namePrefix, JSON.stringify(stored(create.settings)));
  }

  async join(game: string, name: string, player: User, checkPassword: (hash: PasswordHash) => Promise<boolean>): Promise<JoinResult> {
    type Answer = JoinResult | { outcome: 'check'; password: string };
    const attempt = (checked: string) => this.run<Answer>('join', game, name, JSON.stringify(player), checked);
    let answer = await attempt('');
    if (answer.outcome === 'check') {
      const checked = answer.password;
      if (!(await checkPassword(passwordHash(checked)))) return { outcome: 'password' };
      // Every rule decided again, and the password compared with the one just checked, in one script.
      answer = await attempt(checked);
      if (answer.outcome === 'check') throw new Error('join script asked for a second password check');
    }
    return answer;
  }

  async leave(game: string, instanceId: string): Promise<Departure | null> {
    return this.run('leave', game, instanceId);
  }

  async kick(game: string, host: string, target: string): Promise<KickResult> {
    return this.run('kick', game, host, target);
  }

  async setSettings(game: string, host: string, change: SettingsChange): Promise<SetSettingsResult> {
    const { password, ...rest } = change;
    const stored = password === undefined ? rest : { ...rest, password: password && storedPassword(password) };
    return this.run('setSettings', game, host, JSON.stringify(stored));
  }

  async setHost(game: string, host: string, target: string): Promise<SetHostResult> {
    return this.run('setHost', game, host, target);
  }

  async close(game: string, host: string): Promise<CloseResult> {
    return this.run('close', game, host);
  }

  async setRelay(game: string, name: string, relay: User, lobbyWide: boolean): Promise<LobbyRecord | null> {
    return this.run('setRelay', game, name, JSON.stringify(relay), lobbyWide ? '1' : '0');
  }

  async issueToken(game: string, instanceId: string): Promise<string> {
    return this.run('issueToken', game, instanceId, newToken());
  }

  async holdSeat(game: string, instanceId: string): Promise<void> {
    await this.run('holdSeat', game, instanceId);
  }

  async resumeSeat(game: string, token: string): Promise<Resumed | null> {
    return this.run('resumeSeat', game, token, newToken());
  }

  async seatHeld(game: string, instanceId: string): Promise<boolean> {
    return (await this.redis.sismember(this.key(game, 'held'), instanceId)) === 1;
  }

  /**
   * A PING. While the connection is down ioredis would queue the command until it is back, so a
   * client that is not ready fails at once, with its state as the reason.
   */
  async ping(): Promise<void> {
    if (this.redis.status !== 'ready') throw new Error(`redis connection is ${this.redis.status}`);
    await this.redis.ping();
  }
}

/** A resume token: 192 random bits, as MemoryStore makes them. */
const newToken = (): string => randomBytes(24).toString('base64url');
