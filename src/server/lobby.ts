// A lobby: its members in join order (the earliest becomes host on migration), its host and rules.
import type { LobbyInfo, User } from '../protocol/index.js';
import type { PasswordHash } from './password.js';
import type { Player } from './player.js';

export interface LobbySettings {
  maxPlayers: number;
  password: PasswordHash | null;
  locked: boolean;
  hidden: boolean;
  /** A relay lobby: everything goes through its relay peer (a mesh lobby may have one too, for the pairs that asked). */
  relayEnabled: boolean;
}

export class Lobby {
  readonly members: Player[];
  relayUser: User | null = null;
  /** The relay peer being started (handlers/relay.ts), so that those asking meanwhile share it. */
  relayStarting: Promise<User> | null = null;

  constructor(
    readonly name: string,
    readonly game: string,
    public host: Player,
    public settings: LobbySettings,
  ) {
    this.members = [host];
  }

  get full(): boolean {
    return this.settings.maxPlayers !== -1 && this.members.length >= this.settings.maxPlayers;
  }

  member(instanceId: string): Player | undefined {
    return this.members.find((player) => player.id === instanceId);
  }

  others(player: Player): Player[] {
    return this.members.filter((member) => member !== player);
  }

  info(): LobbyInfo {
    return {
      name: this.name,
      host: this.host.user!,
      max_players: this.settings.maxPlayers,
      current_players: this.members.length,
      currently_locked: this.settings.locked,
      password_required: this.settings.password !== null,
      relay_enabled: this.settings.relayEnabled,
      hidden: this.settings.hidden,
    };
  }
}
