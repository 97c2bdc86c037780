// Matchmaking: lobbies described by metadata (map, mode, region...), searched by it, and quick join
// (the oldest open lobby that fits, or a new one). Examples in docs/blocks.md "Matchmaking".
import type { LobbySearch } from '../../src/client/api.js';
import { CloudLinkError } from '../../src/client/errors.js';
import { hasOwn, type LobbyMetadata, type LobbySummary } from '../../src/protocol/index.js';
import type { BlockContext } from '../context.js';
import { eventHat } from '../event-hat.js';
import { reported, type BlockGroup } from '../spec.js';

/** An argument as text (metadata helpers run outside a block too, without Scratch.Cast). */
const spelled = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

/**
 * A metadata value as Scratch means it: "3" and 3 are the same to Scratch, so text that spells a number
 * the way Scratch writes it ("3", "-2.5"; not "007" or "1e3") is sent as that number. Set, create and
 * search agree: a search for 3 finds a lobby set to "3".
 */
export function metadataValue(value: unknown): string | number {
  if (typeof value === 'number') return value;
  const asText = spelled(value);
  const asNumber = Number(asText);
  return asText !== '' && String(asNumber) === asText && Number.isFinite(asNumber) ? asNumber : asText;
}

/** A metadata argument: JSON object text, `{"map": "desert", "mode": "ctf"}`; empty text is {}. */
export function metadataArgument(value: unknown, what: string): LobbyMetadata {
  const json = spelled(value).trim();
  if (json === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CloudLinkError('invalid', `${what} must be a JSON object like {"map": "desert", "mode": "ctf"}, not ${JSON.stringify(json)}`);
  }
  const entries = Object.entries(parsed).map(([key, entry]) => {
    if (typeof entry === 'object' && entry !== null) throw new CloudLinkError('invalid', `${what}: "${key}" must be text or a number`);
    return [key, metadataValue(entry)] as const;
  });
  return Object.fromEntries(entries);
}

function foundField(lobby: LobbySummary, name: string): string | number | boolean {
  switch (name) {
    case 'players':
      return lobby.current_players;
    case 'max players':
      return lobby.max_players;
    case 'locked':
      return lobby.locked;
    case 'password required':
      return lobby.password_required;
    default:
      return reported(lobby.metadata);
  }
}

export function matchmakingBlocks(ctx: BlockContext): BlockGroup {
  const { client, hats } = ctx;
  const { choice, number, text } = ctx.cast;
  const { COMMAND, REPORTER, BOOLEAN } = ctx.Scratch.BlockType;
  const { STRING, NUMBER } = ctx.Scratch.ArgumentType;
  /** The last search's result, oldest lobby first (the found-lobby reporters read it). */
  let found: LobbySummary[] = [];
  let quickJoinCreated = false;
  const foundLobby = (name: unknown) => found.find((lobby) => lobby.name === text(name));

  client.on('matched', (lobby, created) => {
    quickJoinCreated = created;
    hats.fire('whenMatched', { lobby, created });
  });

  const search = (FILTER: unknown, FREE: unknown, NO_PASSWORD: unknown): LobbySearch => ({
    metadata: metadataArgument(FILTER, 'the search'),
    freeSeats: choice(FREE, 'yes', 'no'),
    noPassword: choice(NO_PASSWORD, 'yes', 'no'),
  });

  return {
    label: () => Scratch.translate('Matchmaking'),
    menus: {
      foundFields: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('players'), value: 'players' },
          { text: () => Scratch.translate('max players'), value: 'max players' },
          { text: () => Scratch.translate('locked'), value: 'locked' },
          { text: () => Scratch.translate('password required'), value: 'password required' },
          { text: () => Scratch.translate('metadata (JSON)'), value: 'metadata (JSON)' },
        ],
      },
    },
    blocks: [
      {
        info: {
          opcode: 'createLobbyWithMetadata',
          blockType: COMMAND,
          text: () => Scratch.translate('create lobby [NAME] for [MAX] players (-1 = any) with metadata [METADATA]'),
          arguments: {
            NAME: { type: STRING, defaultValue: 'my lobby' },
            MAX: { type: NUMBER, defaultValue: 4 },
            METADATA: { type: STRING, defaultValue: '{"map": "desert", "mode": "ctf"}' },
          },
        },
        run: ({ NAME, MAX, METADATA }) =>
          client.createLobby({ name: text(NAME), maxPlayers: Math.trunc(number(MAX)), metadata: metadataArgument(METADATA, 'the lobby metadata') }),
      },
      {
        info: {
          opcode: 'setLobbyMetadata',
          blockType: COMMAND,
          text: () => Scratch.translate('set lobby metadata [KEY] to [VALUE]'),
          arguments: { KEY: { type: STRING, defaultValue: 'map' }, VALUE: { type: STRING, defaultValue: 'desert' } },
        },
        run: ({ KEY, VALUE }) => client.setLobbyMetadata({ [text(KEY)]: metadataValue(VALUE) }),
      },
      {
        info: {
          opcode: 'removeLobbyMetadata',
          blockType: COMMAND,
          text: () => Scratch.translate('remove lobby metadata [KEY]'),
          arguments: { KEY: { type: STRING, defaultValue: 'map' } },
        },
        run: ({ KEY }) => client.setLobbyMetadata({ [text(KEY)]: null }),
      },
      {
        info: {
          opcode: 'lobbyMetadata',
          blockType: REPORTER,
          text: () => Scratch.translate('lobby metadata [KEY]'),
          disableMonitor: true,
          arguments: { KEY: { type: STRING, defaultValue: 'map' } },
        },
        run: async ({ KEY }) => {
          const metadata = await client.lobbyMetadata();
          return hasOwn(metadata, text(KEY)) ? metadata[text(KEY)]! : '';
        },
      },
      {
        info: {
          opcode: 'searchLobbies',
          blockType: COMMAND,
          text: () => Scratch.translate('search lobbies with metadata [FILTER] free seats only [FREE] no password only [NO_PASSWORD]'),
          arguments: {
            FILTER: { type: STRING, defaultValue: '{"mode": "ctf"}' },
            FREE: { type: STRING, menu: 'yesNo', defaultValue: 'yes' },
            NO_PASSWORD: { type: STRING, menu: 'yesNo', defaultValue: 'yes' },
          },
        },
        run: async ({ FILTER, FREE, NO_PASSWORD }) => {
          found = await client.findLobbies(search(FILTER, FREE, NO_PASSWORD));
        },
      },
      {
        info: { opcode: 'foundLobbies', blockType: REPORTER, text: () => Scratch.translate('found lobbies (JSON)'), disableMonitor: true },
        run: () => JSON.stringify(found.map((lobby) => lobby.name)),
        fallback: '[]',
      },
      {
        info: { opcode: 'foundLobbyCount', blockType: REPORTER, text: () => Scratch.translate('number of found lobbies'), disableMonitor: true },
        run: () => found.length,
        fallback: 0,
      },
      {
        info: {
          opcode: 'foundLobbyName',
          blockType: REPORTER,
          text: () => Scratch.translate('name of found lobby [INDEX]'),
          disableMonitor: true,
          arguments: { INDEX: { type: NUMBER, defaultValue: 1 } },
        },
        run: ({ INDEX }) => found[Math.trunc(number(INDEX)) - 1]?.name ?? '',
      },
      {
        info: {
          opcode: 'foundLobbyField',
          blockType: REPORTER,
          text: () => Scratch.translate('[FIELD] of found lobby [NAME]'),
          disableMonitor: true,
          arguments: { FIELD: { type: STRING, menu: 'foundFields', defaultValue: 'players' }, NAME: { type: STRING, defaultValue: 'my lobby' } },
        },
        run: ({ FIELD, NAME }) => {
          const lobby = foundLobby(NAME);
          return lobby ? foundField(lobby, text(FIELD)) : '';
        },
      },
      {
        info: {
          opcode: 'foundLobbyMetadata',
          blockType: REPORTER,
          text: () => Scratch.translate('metadata [KEY] of found lobby [NAME]'),
          disableMonitor: true,
          arguments: { KEY: { type: STRING, defaultValue: 'map' }, NAME: { type: STRING, defaultValue: 'my lobby' } },
        },
        run: ({ KEY, NAME }) => {
          const metadata = foundLobby(NAME)?.metadata ?? {};
          return hasOwn(metadata, text(KEY)) ? metadata[text(KEY)]! : '';
        },
      },
      {
        info: {
          opcode: 'quickJoin',
          blockType: COMMAND,
          text: () => Scratch.translate('quick join a lobby with metadata [FILTER] or create one for [MAX] players'),
          arguments: { FILTER: { type: STRING, defaultValue: '{"mode": "ctf"}' }, MAX: { type: NUMBER, defaultValue: 4 } },
        },
        run: ({ FILTER, MAX }) =>
          client.quickJoin({ filter: { metadata: metadataArgument(FILTER, 'the quick join filter') }, maxPlayers: Math.trunc(number(MAX)) }),
      },
      {
        info: { opcode: 'quickJoinCreated', blockType: BOOLEAN, text: () => Scratch.translate('did quick join create my lobby?') },
        run: () => quickJoinCreated,
      },
      eventHat(ctx, 'whenMatched', () => Scratch.translate('when quick join puts me in a lobby')),
    ],
  };
}
