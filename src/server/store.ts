// Where players and lobbies live. The in-memory store serves one process; the interface is what a
// Redis-backed store (several server nodes) would implement, with routing by instance id.
import type { Lobby } from './lobby.js';
import type { Player } from './player.js';

export interface LobbyStore {
  addPlayer(player: Player): void;
  removePlayer(player: Player): void;
  usernameTaken(game: string, username: string): boolean;
  playersOf(game: string): Iterable<Player>;
  lobby(game: string, name: string): Lobby | undefined;
  lobbiesOf(game: string): Iterable<Lobby>;
  addLobby(lobby: Lobby): void;
  deleteLobby(lobby: Lobby): void;
  games(): string[];
}

interface Game {
  players: Set<Player>;
  usernames: Set<string>;
  lobbies: Map<string, Lobby>;
}

export class MemoryStore implements LobbyStore {
  private readonly byGame = new Map<string, Game>();

  private game(name: string): Game {
    let game = this.byGame.get(name);
    if (!game) {
      game = { players: new Set(), usernames: new Set(), lobbies: new Map() };
      this.byGame.set(name, game);
    }
    return game;
  }

  /** Forget games with nobody in them, so the map does not grow with every ugi ever seen. */
  private prune(name: string): void {
    const game = this.byGame.get(name);
    if (game && game.players.size === 0 && game.lobbies.size === 0) this.byGame.delete(name);
  }

  addPlayer(player: Player): void {
    const game = this.game(player.game);
    game.players.add(player);
    game.usernames.add(player.user!.username);
  }

  removePlayer(player: Player): void {
    const game = this.byGame.get(player.game);
    if (!game?.players.delete(player)) return;
    game.usernames.delete(player.user!.username);
    this.prune(player.game);
  }

  usernameTaken(game: string, username: string): boolean {
    return this.byGame.get(game)?.usernames.has(username) ?? false;
  }

  playersOf(game: string): Iterable<Player> {
    return this.byGame.get(game)?.players ?? [];
  }

  lobby(game: string, name: string): Lobby | undefined {
    return this.byGame.get(game)?.lobbies.get(name);
  }

  lobbiesOf(game: string): Iterable<Lobby> {
    return this.byGame.get(game)?.lobbies.values() ?? [];
  }

  addLobby(lobby: Lobby): void {
    this.game(lobby.game).lobbies.set(lobby.name, lobby);
  }

  deleteLobby(lobby: Lobby): void {
    this.byGame.get(lobby.game)?.lobbies.delete(lobby.name);
    this.prune(lobby.game);
  }

  games(): string[] {
    return [...this.byGame.keys()].sort();
  }
}
