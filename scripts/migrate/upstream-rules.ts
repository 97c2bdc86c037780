// How each block of the upstream CL5 extension (id `mikedevcl5`, v1.0.1) becomes ours: one rule per
// upstream opcode. docs/migrating.md is the same table for people. Upstream's facts (texts, argument
// ids, menus) are in upstream-cl5-blocks.json.
import { EMPTY, literal, type Source } from './block-graph.js';
import { type Step, Unmappable } from './step.js';
import { UPSTREAM } from './upstream-blocks.js';

export type Rule =
  /** Converted: `to` names the block(s) of ours it becomes; `monitor` is set when a stage monitor of it can follow. */
  | { kind: 'map'; to: string[]; apply: (step: Step) => void; monitor?: string }
  /** Nothing to do here: the block is deleted (and listed), `why` says why nothing is lost. */
  | { kind: 'removed'; why: string }
  /** No equivalent: the block stays as it is (and is listed), `why` says what to do instead. */
  | { kind: 'none'; why: string };

type ArgFrom = string | Source | ((step: Step) => Source);

const resolve = (step: Step, args: Record<string, ArgFrom>): Record<string, Source> =>
  Object.fromEntries(
    Object.entries(args).map(([name, from]) => [name, typeof from === 'string' ? step.arg(from) : typeof from === 'function' ? from(step) : from]),
  );

/** The same block under another name: our arguments from upstream's (by name), literals or reshaped values. */
const rename = (to: string, args: Record<string, ArgFrom> = {}): Rule => ({
  kind: 'map',
  to: [to],
  apply: (step) => void step.make(to, resolve(step, args), step.id),
  ...(Object.keys(args).length === 0 ? { monitor: to } : {}),
});

/** An upstream menu value translated to ours (a reporter there could give upstream's values: not convertible). */
const translated =
  (name: string, values: Record<string, string>): ((step: Step) => Source) =>
  (step) => {
    const source = step.arg(name);
    if (source.kind === 'reporter')
      throw new Unmappable(`its ${name} menu holds a reporter, and upstream's values (${Object.keys(values).join(', ')}) are not ours`);
    return source.kind === 'literal' ? literal(values[source.value] ?? source.value) : EMPTY;
  };

/** An upstream Boolean slot as our yes/no menu: empty is no; a reporter stays (true/false read as yes/no). */
const yesNo =
  (name: string): ((step: Step) => Source) =>
  (step) => {
    const source = step.arg(name);
    if (source.kind === 'reporter') return source;
    return literal(source.kind === 'literal' && source.value === 'true' ? 'yes' : 'no');
  };

/** A variable or list named in a text slot upstream, a menu of names here: a reporter there cannot be converted. */
const named =
  (name: string): ((step: Step) => Source) =>
  (step) => {
    const source = step.arg(name);
    if (source.kind === 'reporter') throw new Unmappable(`its ${name} is computed by a reporter; here it is chosen from a menu of names`);
    return source;
  };

/** A hat whose script should run only for one player: ours has no player argument, so the script gets an if. */
const filteredHat = (to: string, args: Record<string, ArgFrom>, playerReporter: string, filterArg: string): Rule => ({
  kind: 'map',
  to: [to, playerReporter],
  apply: (step) => {
    const filter = step.arg(filterArg);
    step.make(to, resolve(step, args), step.id);
    step.onlyWhen(step.id, playerReporter, filter);
  },
});

const voiceOf = (step: Step, field: string, player: Source): Source => step.reporter('voiceInfo', { FIELD: literal(field), PLAYER: player });

/** "set player voice [axis] position to": ours sets x, y and z at once, the other two as they are. */
const setAxis = (axis: 'x' | 'y' | 'z', argName: string, change: boolean): Rule => ({
  kind: 'map',
  to: ['setVoicePosition', 'voiceInfo', ...(change ? ['operator_add'] : [])],
  apply: (step) => {
    const player = step.arg('PEER');
    const position: Record<string, Source> = {};
    for (const other of ['x', 'y', 'z'] as const) {
      if (other !== axis) position[other.toUpperCase()] = voiceOf(step, other, step.copy(player));
    }
    position[axis.toUpperCase()] = change
      ? step.reporter('operator_add', { NUM1: voiceOf(step, axis, step.copy(player)), NUM2: step.arg(argName) })
      : step.arg(argName);
    step.make('setVoicePosition', { PLAYER: player, ...position }, step.id);
  },
});

const SESSION_SERVER = 'there is no separate session (PeerJS) server here: the CL5 server also introduces the players';

export const UPSTREAM_ID = UPSTREAM.id;

export const RULES: Record<string, Rule> = {
  // ── session ──
  on_player_session_spawned: rename('whenConnected'),
  on_player_session_destroyed: rename('whenDisconnected'),
  on_player_session_disconnected: rename('whenReconnecting'),
  on_player_session_reconnected: rename('whenReconnected'),
  on_player_mode_changed: {
    kind: 'map',
    to: ['whenModeChanges'],
    // Ours runs for one mode: the script is there three times, once per mode (one of them runs per change).
    apply: (step) => {
      const form = step.host.targets.get('whenModeChanges').args.MODE!.form;
      step.make('whenModeChanges', { MODE: literal('host') }, step.id);
      step.host.later(() => {
        const graph = step.graph;
        const hat = graph.block(step.id);
        for (const [index, mode] of ['peer', ''].entries()) {
          const copy = graph.copyTree(step.id, null, true);
          graph.clearArguments(copy);
          graph.write(copy, 'MODE', form, literal(mode));
          Object.assign(graph.block(copy), { topLevel: true, x: (hat.x ?? 0) + 500 * (index + 1), y: hat.y ?? 0 });
        }
      });
    },
  },
  is_session_connected: rename('isConnected'),
  my_ID: rename('myId'),
  // Upstream's account id is its instance id (INIT_OK carries no other).
  my_ID_account: rename('myId'),
  my_Username: rename('myUsername'),
  get_client_mode: rename('myMode'),
  disconnect: {
    kind: 'none',
    why: `${SESSION_SERVER}; to leave everything use "disconnect", to test a dropped connection nothing is needed (it resumes by itself)`,
  },
  reconnect: { kind: 'removed', why: 'the connection resumes by itself after a drop ("reconnect by itself after a dropped connection", on by default)' },
  on_player_session_error: rename('whenError'),
  get_client_error: rename('lastError'),
  get_client_error_peer: { kind: 'none', why: '"last error" names the player in its text, "last error code" says what failed: use those' },

  // ── game server (connection) ──
  on_connect: rename('whenConnected'),
  on_disconnect: rename('whenDisconnected'),
  is_signalling_connected: rename('isConnected'),
  destroy: rename('disconnect'),
  connection_builder: {
    kind: 'map',
    to: ['setEncryption', 'setGameId', 'connect'],
    apply: (step) => convertConnectionBuilder(step),
  },
  set_game_server: {
    kind: 'none',
    why: 'outside "create connection, then connect" it did nothing upstream; put its URL in "connect to server [URL] as [USERNAME]"',
  },
  set_keepalive: {
    kind: 'map',
    to: ['setKeepalive'],
    apply: (step) => {
      const alive = step.arg('ALIVE');
      const seconds =
        alive.kind === 'reporter'
          ? step.reporter('operator_multiply', { NUM1: step.arg('PING'), NUM2: alive })
          : alive.kind === 'literal' && alive.value === 'true'
            ? step.arg('PING')
            : literal('0');
      step.make('setKeepalive', { SECONDS: seconds }, step.id);
    },
  },
  set_verbose: { kind: 'removed', why: 'it set upstream\'s console logging; failures here are in "last error" and "when an error happens"' },
  auth_with_token: rename('setToken', { TOKEN: 'TOKEN' }),
  auth_with_cookie: {
    kind: 'none',
    why: 'there are no cookie logins here: give the token with "set login token to [TOKEN]" (the server checks it with --token-verifier)',
  },
  auth_with_name: {
    kind: 'none',
    why: 'outside "create connection, then connect" it did nothing upstream; the name goes in "connect to server [URL] as [USERNAME]"',
  },
  set_peerjs_server: { kind: 'removed', why: SESSION_SERVER },
  ice_list_builder: {
    kind: 'map',
    to: ['clearIceServers'],
    // Upstream's list replaced the default one: ours clears the list, then the blocks inside add to it.
    apply: (step) => {
      if (!step.insideBuilder) throw new Unmappable('outside "create connection, then connect" upstream skipped it and the blocks inside it');
      const body = step.graph.stack((step.graph.block(step.id).inputs.SUBSTACK?.[1] as string | undefined) ?? null);
      step.make('clearIceServers', {}, step.id);
      step.graph.splice(step.id, [step.id, ...body]);
    },
  },
  set_stun_server: rename('addIceServer', { URL: 'SERVER', USER: literal(''), PASS: literal('') }),
  set_turn_server: rename('addIceServer', { URL: 'SERVER', USER: 'USER', PASS: 'PASSWORD' }),
  set_relay_only: rename('setRelayOnly', { ONOFF: literal('on') }),
  get_relay_peer: { kind: 'none', why: 'the relay here is inside the server, never a player: nothing needs to leave it out of the player list' },

  // ── lobbies ──
  lobby_host: rename('hostId'),
  lobby_list: rename('listLobbies'),
  query_lobbies: { kind: 'removed', why: '"open lobbies (JSON)" asks the server each time it is read' },
  lobby_info: { kind: 'none', why: 'use "[all (JSON)] of lobby [NAME]" (or one field of it) with the lobby\'s name: it asks the server when read' },
  query_lobby: { kind: 'none', why: '"[FIELD] of lobby [NAME]" asks the server when read: use it where "lobby info" was read' },
  init_peer_mode: rename('joinLobby', { NAME: 'LOBBY', PASSWORD: 'PASSWORD' }),
  is_lobby_host: rename('isHost'),
  init_host_mode: rename('createLobby', {
    NAME: 'LOBBY',
    MAX: 'PEERS',
    PASSWORD: 'PASSWORD',
    LOCKED: yesNo('LOCK'),
    HIDDEN: literal('no'),
    RELAY: yesNo('RELAY'),
  }),
  set_lock_flag: {
    kind: 'map',
    to: ['manageLobby'],
    apply: (step) => {
      const lock = step.arg('LOCK');
      if (lock.kind !== 'reporter') {
        step.make('manageLobby', { ACTION: literal(lock.kind === 'literal' && lock.value === 'true' ? 'lock' : 'unlock') }, step.id);
        return;
      }
      // A computed flag: "if <flag> then lock else unlock".
      step.make('control_if_else', { CONDITION: lock }, step.id);
      step.graph.setBranch(step.id, 'SUBSTACK', step.make('manageLobby', { ACTION: literal('lock') }));
      step.graph.setBranch(step.id, 'SUBSTACK2', step.make('manageLobby', { ACTION: literal('unlock') }));
    },
  },
  set_player_limit_value: rename('setMaxPlayers', { MAX: 'PEERS' }),
  set_password_value: rename('setLobbyPassword', { PASSWORD: 'PASSWORD' }),
  kick_peer_from_lobby: rename('kickPlayer', { PLAYER: 'PEER' }),
  transfer_ownership: rename('transferHost', { PLAYER: 'PEER' }),
  close_lobby: rename('manageLobby', { ACTION: literal('close') }),

  // ── players ──
  on_new_peer: rename('whenPlayerConnected'),
  get_new_peer: rename('connectedPlayer'),
  on_peer_left: filteredHat('whenPlayerLeaves', {}, 'leftPlayer', 'ID'),
  get_last_peer: rename('leftPlayer'),
  get_peers: rename('players'),
  get_peer_username: rename('usernameOf', { PLAYER: 'ID' }),
  get_peer_accountid: {
    kind: 'none',
    why: 'players have no account id here: use "username of player [PLAYER]" (the name a --token-verifier gives is the account\'s)',
  },
  get_peer_channels: rename('channelList'),
  is_peer_connected: rename('isPlayerConnected', { PLAYER: 'PEER' }),
  disconnect_peer: rename('disconnectPlayer', { PLAYER: 'PEER' }),

  // ── channels and messages ──
  on_new_dchan: filteredHat('whenChannelOpens', { CHANNEL: 'CHANNEL' }, 'channelPlayer', 'PEER'),
  new_dchan: rename('openChannel', { CHANNEL: 'CHANNEL', MODE: translated('ORDERED', { true: 'ordered', false: 'fast' }) }),
  on_close_dchan: filteredHat('whenChannelCloses', { CHANNEL: 'CHANNEL' }, 'channelPlayer', 'PEER'),
  close_dchan: rename('closeChannel', { CHANNEL: 'CHANNEL' }),
  on_broadcast_message: rename('whenBroadcast', { CHANNEL: 'CHANNEL' }),
  get_global_channel_data: rename('lastData', { KIND: literal('broadcast'), CHANNEL: 'CHANNEL' }),
  broadcast: rename('broadcastData', { DATA: 'DATA', CHANNEL: 'CHANNEL' }),
  on_private_message: rename('whenPrivateFrom', { PLAYER: 'PEER', CHANNEL: 'CHANNEL' }),
  get_private_channel_data: rename('privateDataFrom', { PLAYER: 'PEER', CHANNEL: 'CHANNEL' }),
  send: rename('sendPrivate', { DATA: 'DATA', PLAYER: 'PEER', CHANNEL: 'CHANNEL' }),

  // ── networked data ──
  make_global_networked_list: rename('syncList', { LISTNAME: named('LIST'), ID: 'ID' }),
  make_private_networked_list: rename('syncListWith', { LISTNAME: named('LIST'), PLAYER: 'PEER', ID: 'ID' }),
  make_global_networked_var: rename('syncVariable', { VAR: named('VAR'), ID: 'ID' }),
  make_private_networked_var: rename('syncVariableWith', { VAR: named('VAR'), PLAYER: 'PEER', ID: 'ID' }),

  // ── voice ──
  get_mic_perms: rename('hasMicrophone'),
  is_peer_vchan_open: rename('inCallWith', { PLAYER: 'PEER' }),
  get_mic_mute_state: {
    kind: 'map',
    to: ['operator_equals', 'voiceInfo'],
    // A Boolean slot needs a Boolean block: <([muted] of the voice of player (PEER)) = [true]>.
    apply: (step) => void step.make('operator_equals', { OPERAND1: voiceOf(step, 'muted', step.arg('PEER')), OPERAND2: literal('true') }, step.id),
  },
  request_mic_perms: rename('requestMicrophone'),
  change_mic_state: rename('muteFor', { ACTION: translated('MICSTATE', { 0: 'mute', 1: 'unmute' }), PLAYER: 'PEER' }),
  when_peer_rings: rename('whenCallWith', { PLAYER: 'ID', EVENT: literal('ringing') }),
  when_peer_answers: rename('whenCallWith', { PLAYER: 'ID', EVENT: literal('answered') }),
  when_peer_declines: rename('whenCallWith', { PLAYER: 'ID', EVENT: literal('declined') }),
  new_vchan: rename('callPlayer', { PLAYER: 'PEER' }),
  answer_vchan: rename('answerCall', { PLAYER: 'PEER' }),
  decline_vchan: rename('declineCall', { PLAYER: 'PEER' }),
  close_vchan: rename('hangUp', { PLAYER: 'PEER' }),
  get_vchan_volume: rename('voiceInfo', { FIELD: literal('volume'), PLAYER: 'PEER' }),
  set_vchan_volume: rename('setVoiceVolume', { PLAYER: 'PEER', VOLUME: 'VOLUME' }),
  change_vchan_volume: {
    kind: 'map',
    to: ['setVoiceVolume', 'voiceInfo', 'operator_add'],
    apply: (step) => {
      const player = step.arg('PEER');
      const volume = step.reporter('operator_add', { NUM1: voiceOf(step, 'volume', step.copy(player)), NUM2: step.arg('STEPS') });
      step.make('setVoiceVolume', { PLAYER: player, VOLUME: volume }, step.id);
    },
  },
  get_vchan_x: rename('voiceInfo', { FIELD: literal('x'), PLAYER: 'PEER' }),
  set_vchan_x: setAxis('x', 'X', false),
  change_vchan_x: setAxis('x', 'STEPS', true),
  get_vchan_y: rename('voiceInfo', { FIELD: literal('y'), PLAYER: 'PEER' }),
  set_vchan_y: setAxis('y', 'Y', false),
  change_vchan_y: setAxis('y', 'STEPS', true),
  get_vchan_z: rename('voiceInfo', { FIELD: literal('z'), PLAYER: 'PEER' }),
  set_vchan_z: setAxis('z', 'Z', false),
  change_vchan_z: setAxis('z', 'STEPS', true),
};

/**
 * "create connection, then connect" with its settings inside becomes the settings, then "connect":
 * the URL of "using game server" (its ?ugi= becomes "set game id"), the name of "authenticate … set
 * username to". Upstream always made a key pair and encrypted signalling: "end-to-end encryption [on]".
 */
function convertConnectionBuilder(step: Step): void {
  const { graph } = step;
  const opcode = (id: string) => graph.block(id).opcode;
  const body = graph.stack((graph.block(step.id).inputs.SUBSTACK?.[1] as string | undefined) ?? null);
  const server = body.filter((id) => opcode(id) === `${UPSTREAM_ID}_set_game_server`).at(-1);
  if (!server) throw new Unmappable('it has no "using game server" block inside, so upstream never connected');
  const auth = body.filter((id) => /_auth_with_(name|token|cookie)$/.test(opcode(id))).at(-1);

  let url = graph.read(server, 'SERVER');
  let ugi: string | null = null;
  if (url.kind === 'literal') {
    const written = url.value;
    try {
      const parsed = new URL(written);
      ugi = parsed.searchParams.get('ugi');
      if (ugi !== null) {
        parsed.searchParams.delete('ugi');
        url = literal(parsed.toString());
      }
    } catch {
      step.host.note(server, `its URL "${written}" is not a URL: "connect" will say so when it runs`);
    }
  } else step.host.note(server, 'its URL is computed: a ?ugi= in it is not read here, set the game id with "set game id to [UGI]"');
  if (!auth) step.host.note(step.id, 'it had no "authenticate" block (upstream failed to connect): "connect" gets an empty name');
  const username = auth && opcode(auth).endsWith('_auth_with_name') ? graph.read(auth, 'USERNAME') : literal('');

  const consumed = [server, ...(auth && opcode(auth).endsWith('_auth_with_name') ? [auth] : [])];
  const connect = step.make('connect', { URL: url, USERNAME: username });
  for (const id of consumed) {
    step.host.consume(id);
    graph.clearArguments(id);
    delete graph.blocks[id];
  }
  step.make('setEncryption', { ONOFF: literal('on') }, step.id);
  const gameId = ugi !== null ? [step.make('setGameId', { UGI: literal(ugi) })] : [];
  graph.splice(step.id, [step.id, ...gameId, ...body.filter((id) => !consumed.includes(id)), connect]);
}
