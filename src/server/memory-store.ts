// The LobbyStore of one process (the default): plain maps, each command decided synchronously so
// that nothing interleaves inside one. Results are copies; nothing inside leaks out.
import { usernameSkeleton } from '../protocol/username.js';
import { randomBytes } from 'node:crypto';
import type { User } from '../protocol/index.js';
import { byCreation, listed, matchesFilter, quickJoinable } from './lobby-filter.js';
import type { PasswordHash } from './password.js';
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
  NotHost,
  QuickCreate,
  QuickJoinResult,
  Resumed,
  SetHostResult,
  SetSettingsResult,
  SettingsChange,
} from './store.js';
import { byGameName, copyLobby, copyLobbySettings } from './store.js';

interface Game {
  players: Map<string, User>;
  usernames: Set<string>;
  lobbies: Map<string, LobbyRecord>;
  /** Instance id → the name of the lobby it is a member of. */
  memberOf: Map<string, string>;
  /** Lobbies ever created in the game: the next one's `created`, and quick join's name suffix. */
  lobbySeq: number;
}

export class MemoryStore implements LobbyStore {
  private readonly byGame = new Map<string, Game>();
  private readonly tokens = new Map<string, { game: string; id: string }>();
  private readonly tokenOf = new Map<string, string>();
  private readonly held = new Set<string>();

  private game(name: string): Game {
    let game = this.byGame.get(name);
    if (!game) {
      game = { players: new Map(), usernames: new Set(), lobbies: new Map(), memberOf: new Map(), lobbySeq: 0 };
      this.byGame.set(name, game);
    }
    return game;
  }

  /** Forgets games with nobody in them, so the map does not grow with every ugi ever seen. */
  private prune(name: string): void {
    const game = this.byGame.get(name);
    if (game && game.players.size === 0 && game.lobbies.size === 0) this.byGame.delete(name);
  }

  /** The lobby `host` is host of, or why not. */
  private hosted(game: string, host: string): { game: Game; lobby: LobbyRecord } | NotHost {
    const state = this.byGame.get(game);
    const name = state?.memberOf.get(host);
    const lobby = name === undefined ? undefined : state!.lobbies.get(name);
    if (!state || !lobby) return 'not-in-lobby';
    if (lobby.host.instance_id !== host) return 'unauthorized';
    return { game: state, lobby };
  }

  private remove(game: Game, lobby: LobbyRecord, instanceId: string): Departure {
    const index = lobby.members.findIndex((member) => member.instance_id === instanceId);
    const left = lobby.members.splice(index, 1)[0]!;
    game.memberOf.delete(instanceId);
    let newHost: User | null = null;
    const closed = lobby.members.length === 0;
    if (closed) this.deleteLobby(game, lobby);
    else if (lobby.host.instance_id === instanceId) newHost = lobby.host = lobby.members[0]!;
    return { left, lobby: copyLobby(lobby), newHost, closed };
  }

  private deleteLobby(game: Game, lobby: LobbyRecord): void {
    for (const member of lobby.members) game.memberOf.delete(member.instance_id);
    game.lobbies.delete(lobby.name);
    this.prune(lobby.game);
  }

  async addPlayer(game: string, user: User): Promise<'ok' | 'taken'> {
    const state = this.game(game);
    const key = usernameSkeleton(user.username);
    if (state.usernames.has(key)) return 'taken';
    state.usernames.add(key);
    state.players.set(user.instance_id, { ...user });
    return 'ok';
  }

  async removePlayer(game: string, instanceId: string): Promise<void> {
    const token = this.tokenOf.get(instanceId);
    if (token !== undefined) this.tokens.delete(token);
    this.tokenOf.delete(instanceId);
    this.held.delete(instanceId);
    const state = this.byGame.get(game);
    const user = state?.players.get(instanceId);
    if (!state || !user) return;
    state.players.delete(instanceId);
    state.usernames.delete(usernameSkeleton(user.username));
    this.prune(game);
  }

  async players(game: string): Promise<User[]> {
    return [...(this.byGame.get(game)?.players.values() ?? [])].map((user) => ({ ...user }));
  }

  async games(): Promise<GameCounts[]> {
    return [...this.byGame]
      .map(([game, state]) => ({ game, players: state.players.size, lobbies: state.lobbies.size }))
      .filter((counts) => counts.players > 0 || counts.lobbies > 0)
      .sort(byGameName);
  }

  // A game's map holds its lobbies oldest first: each is inserted once, when created.
  async list(game: string, limit: number): Promise<Listed<string>> {
    return listed(
      this.byGame.get(game)?.lobbies.values() ?? [],
      (lobby) => !lobby.settings.hidden,
      limit,
      (lobby) => lobby.name,
    );
  }

  async find(game: string, name: string): Promise<LobbyRecord | null> {
    const lobby = this.byGame.get(game)?.lobbies.get(name);
    return lobby ? copyLobby(lobby) : null;
  }

  async lobbies(game: string): Promise<LobbyRecord[]> {
    return [...(this.byGame.get(game)?.lobbies.values() ?? [])].map(copyLobby);
  }

  async lobbyOf(game: string, instanceId: string): Promise<LobbyRecord | null> {
    const state = this.byGame.get(game);
    const name = state?.memberOf.get(instanceId);
    return name === undefined ? null : copyLobby(state!.lobbies.get(name)!);
  }

  async create(game: string, name: string, host: User, settings: LobbySettings): Promise<CreateResult> {
    const state = this.game(game);
    if (state.memberOf.has(host.instance_id)) return { outcome: 'in-lobby' };
    if (state.lobbies.has(name)) return { outcome: 'exists' };
    return { outcome: 'ok', ...this.insert(state, game, name, host, settings) };
  }

  private insert(state: Game, game: string, name: string, host: User, settings: LobbySettings): { lobby: LobbyRecord } {
    state.lobbySeq += 1;
    const lobby: LobbyRecord = {
      game,
      name,
      host: { ...host },
      members: [{ ...host }],
      settings: copyLobbySettings(settings),
      relay: null,
      created: state.lobbySeq,
    };
    state.lobbies.set(name, lobby);
    state.memberOf.set(host.instance_id, name);
    return { lobby: copyLobby(lobby) };
  }

  async listMatching(game: string, filter: LobbyFilter, limit: number): Promise<Listed<LobbyRecord>> {
    return listed(this.byGame.get(game)?.lobbies.values() ?? [], (lobby) => matchesFilter(lobby, filter), limit, copyLobby);
  }

  async quickJoin(game: string, player: User, filter: LobbyFilter, create: QuickCreate): Promise<QuickJoinResult> {
    const state = this.game(game);
    if (state.memberOf.has(player.instance_id)) return { outcome: 'in-lobby' };
    const oldest = [...state.lobbies.values()].filter((lobby) => quickJoinable(lobby, filter)).sort(byCreation)[0];
    if (oldest) {
      oldest.members.push({ ...player });
      state.memberOf.set(player.instance_id, oldest.name);
      return { outcome: 'joined', lobby: copyLobby(oldest) };
    }
    // The counter makes the name new, unless someone created that very name by hand: then the next number.
    let n = state.lobbySeq + 1;
    while (state.lobbies.has(`${create.namePrefix}-${n}`)) n += 1;
    state.lobbySeq = n - 1;
    const name = `${create.namePrefix}-${n}`;
    return { outcome: 'created', ...this.insert(state, game, name, player, create.settings) };
  }

  async join(game: string, name: string, player: User, checkPassword: (hash: PasswordHash) => Promise<boolean>): Promise<JoinResult> {
    const refusal = (): JoinResult | LobbyRecord => {
      const state = this.byGame.get(game);
      if (state?.memberOf.has(player.instance_id)) return { outcome: 'in-lobby' };
      const lobby = state?.lobbies.get(name);
      if (!lobby) return { outcome: 'not-found' };
      if (lobby.settings.locked) return { outcome: 'locked' };
      if (lobby.settings.maxPlayers !== -1 && lobby.members.length >= lobby.settings.maxPlayers) return { outcome: 'full' };
      return lobby;
    };
    const early = refusal();
    if ('outcome' in early) return early;
    const checked = early.settings.password;
    if (checked && !(await checkPassword(checked))) return { outcome: 'password' };
    // The check yielded: every rule again, against the lobby as it is now.
    const lobby = refusal();
    if ('outcome' in lobby) return lobby;
    if (lobby.settings.password !== checked) return { outcome: 'password' };
    lobby.members.push({ ...player });
    this.byGame.get(game)!.memberOf.set(player.instance_id, name);
    return { outcome: 'ok', lobby: copyLobby(lobby) };
  }

  async leave(game: string, instanceId: string): Promise<Departure | null> {
    const state = this.byGame.get(game);
    const name = state?.memberOf.get(instanceId);
    if (!state || name === undefined) return null;
    return this.remove(state, state.lobbies.get(name)!, instanceId);
  }

  async kick(game: string, host: string, target: string): Promise<KickResult> {
    const found = this.hosted(game, host);
    if (typeof found === 'string') return { outcome: found };
    if (!found.lobby.members.some((member) => member.instance_id === target)) return { outcome: 'not-a-member' };
    if (target === host) return { outcome: 'self' };
    return { outcome: 'ok', departure: this.remove(found.game, found.lobby, target) };
  }

  async setSettings(game: string, host: string, change: SettingsChange): Promise<SetSettingsResult> {
    const found = this.hosted(game, host);
    if (typeof found === 'string') return { outcome: found };
    const { lobby } = found;
    const max = change.maxPlayers;
    if (max !== undefined && max !== -1 && max < lobby.members.length) return { outcome: 'below-current-players' };
    const shown = lobby.settings.hidden && change.hidden === false;
    Object.assign(lobby.settings, change, change.metadata ? { metadata: { ...change.metadata } } : {});
    return { outcome: 'ok', lobby: copyLobby(lobby), shown };
  }

  async setHost(game: string, host: string, target: string): Promise<SetHostResult> {
    const found = this.hosted(game, host);
    if (typeof found === 'string') return { outcome: found };
    const { lobby } = found;
    const next = lobby.members.find((member) => member.instance_id === target);
    if (!next) return { outcome: 'not-a-member' };
    if (target === host) return { outcome: 'already-host' };
    const previous = lobby.host;
    lobby.host = next;
    return { outcome: 'ok', lobby: copyLobby(lobby), previous: { ...previous } };
  }

  async close(game: string, host: string): Promise<CloseResult> {
    const found = this.hosted(game, host);
    if (typeof found === 'string') return { outcome: found };
    const record = copyLobby(found.lobby);
    this.deleteLobby(found.game, found.lobby);
    return { outcome: 'ok', lobby: record };
  }

  async setRelay(game: string, name: string, relay: User, lobbyWide: boolean): Promise<LobbyRecord | null> {
    const lobby = this.byGame.get(game)?.lobbies.get(name);
    if (!lobby || lobby.members.length === 0) return null;
    lobby.relay = { ...relay };
    if (lobbyWide) lobby.settings.relayEnabled = true;
    return copyLobby(lobby);
  }

  async issueToken(game: string, instanceId: string): Promise<string> {
    const old = this.tokenOf.get(instanceId);
    if (old !== undefined) this.tokens.delete(old);
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { game, id: instanceId });
    this.tokenOf.set(instanceId, token);
    return token;
  }

  async holdSeat(game: string, instanceId: string): Promise<void> {
    if (this.byGame.get(game)?.players.has(instanceId)) this.held.add(instanceId);
  }

  async resumeSeat(game: string, token: string): Promise<Resumed | null> {
    const seat = this.tokens.get(token);
    if (!seat || seat.game !== game) return null;
    const user = this.byGame.get(game)?.players.get(seat.id);
    if (!user) return null;
    this.held.delete(seat.id);
    return { user: { ...user }, token: await this.issueToken(game, seat.id) };
  }

  async seatHeld(_game: string, instanceId: string): Promise<boolean> {
    return this.held.has(instanceId);
  }

  /** In this process: it always answers. */
  async ping(): Promise<void> {}
}
