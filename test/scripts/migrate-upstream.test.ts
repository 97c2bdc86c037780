// scripts/migrate-upstream.mjs, run as a real process on projects written as TurboWarp saves upstream
// CL5 projects: one using every upstream block (and a few blocks in more than one way), one with its
// menus as input shadows, and one that must actually play after conversion (two Scratch VMs, a real
// server on 127.0.0.1: connect, host, join, a broadcast, the mode hats). The converted projects load in
// scratch-vm and in TurboWarp's VM.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudlinkInfo } from '../../examples/lib/extension-shape.js';
import { equals, setVar, variable, whenReceived, ProjectBuilder } from '../../examples/lib/project.js';
import { zip } from '../../examples/lib/sb3.js';
import { readZip } from '../../examples/lib/unzip.js';
import { validateProject } from '../../examples/lib/validate.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../helpers/logger.js';
import { type VirtualMachineLike, VmPlayer } from '../scratch/vm-player.js';
import { until } from '../helpers/until.js';
import { turbowarpForFile } from '../sync/turbowarp.js';
import type { BlockRecord } from '../../scripts/migrate/block-graph.js';
import { RULES } from '../../scripts/migrate/upstream-rules.js';
import { renderScripts } from './render-script.js';
import { everyBlockProject, menusAsInputsProject, UPSTREAM, UPSTREAM_URL, up, upstreamShape, upstreamStandIn } from './upstream-project.js';
import WebSocket from 'ws';
import { closeAll } from '../helpers/disconnect-all.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'cl5-migrate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Block = BlockRecord;
interface Project {
  targets: { name: string; blocks: Record<string, Block> }[];
  monitors: { id: string; opcode: string }[];
  extensions: string[];
  extensionURLs: Record<string, string>;
}

/** Writes `project` as an .sb3, runs the script on it, and reads what it wrote. */
function migrate(name: string, project: object, ...options: string[]): { status: number | null; stdout: string; stderr: string; output: Project } {
  const input = path.join(work, `${name}.sb3`);
  const output = path.join(work, `${name}.migrated.sb3`);
  writeFileSync(input, zip([{ name: 'project.json', data: Buffer.from(JSON.stringify(project)) }]));
  const run = spawnSync(process.execPath, ['scripts/migrate-upstream.mjs', input, output, ...options], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const json =
    run.status === 1
      ? '{}'
      : readZip(readFileSync(output))
          .find((f) => f.name === 'project.json')!
          .data.toString('utf8');
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, output: JSON.parse(json) };
}

const sprite = (project: Project, name = 'Player') => project.targets.find((t) => t.name === name)!;
const isUpstreamBlock = (b: Block) => b.opcode.startsWith('mikedevcl5_') && !b.shadow;
/** The rendered scripts whose trigger (first line) or first say names `marker`. */
const scriptsFor = (scripts: string[], marker: string) => {
  const trigger = `event_whenbroadcastreceived BROADCAST_OPTION=${JSON.stringify(marker)}`;
  return scripts.filter((s) => s === trigger || s.startsWith(`${trigger}\n`) || s.includes(`looks_say MESSAGE=${JSON.stringify(marker)}`));
};

// What each script of the every-block project must be after the migration (the trigger line left out
// for the scripts started by a broadcast). Written from the mapping in docs/migrating.md.
const EXPECTED: Record<string, string[]> = {
  on_player_session_spawned: ['cloudlink5_whenConnected\nlooks_say MESSAGE="on_player_session_spawned"'],
  on_player_session_destroyed: ['cloudlink5_whenDisconnected\nlooks_say MESSAGE="on_player_session_destroyed"'],
  on_player_session_disconnected: ['cloudlink5_whenReconnecting\nlooks_say MESSAGE="on_player_session_disconnected"'],
  on_player_session_reconnected: ['cloudlink5_whenReconnected\nlooks_say MESSAGE="on_player_session_reconnected"'],
  on_player_mode_changed: ['host', 'peer', ''].map((mode) => `cloudlink5_whenModeChanges MODE="${mode}"\nlooks_say MESSAGE="on_player_mode_changed"`),
  is_session_connected: ['control_if CONDITION=(cloudlink5_isConnected)\n  looks_say MESSAGE="yes"'],
  my_ID: ['looks_say MESSAGE=(cloudlink5_myId)'],
  my_ID_account: ['looks_say MESSAGE=(cloudlink5_myId)'],
  my_Username: ['looks_say MESSAGE=(cloudlink5_myUsername)'],
  get_client_mode: ['looks_say MESSAGE=(cloudlink5_myMode)'],
  disconnect: ['mikedevcl5_disconnect'],
  reconnect: [''],
  on_player_session_error: ['cloudlink5_whenError\nlooks_say MESSAGE="on_player_session_error"'],
  get_client_error: ['looks_say MESSAGE=(cloudlink5_lastError)'],
  get_client_error_peer: ['looks_say MESSAGE=(mikedevcl5_get_client_error_peer)'],
  on_connect: ['cloudlink5_whenConnected\nlooks_say MESSAGE="on_connect"'],
  on_disconnect: ['cloudlink5_whenDisconnected\nlooks_say MESSAGE="on_disconnect"'],
  is_signalling_connected: ['control_if CONDITION=(cloudlink5_isConnected)\n  looks_say MESSAGE="yes"'],
  destroy: ['cloudlink5_disconnect'],
  connection_builder: ['mikedevcl5_connection_builder\n  looks_say MESSAGE="inside"\nlooks_say MESSAGE="after"'],
  set_game_server: ['mikedevcl5_set_game_server SERVER="wss://cl5-peerjs.mikedev101.cc?ugi=debug"'],
  set_keepalive: ['cloudlink5_setKeepalive SECONDS="0"'],
  set_verbose: [''],
  auth_with_token: ['cloudlink5_setToken TOKEN=""'],
  auth_with_cookie: ['mikedevcl5_auth_with_cookie'],
  auth_with_name: ['mikedevcl5_auth_with_name USERNAME=""'],
  set_peerjs_server: [''],
  ice_list_builder: ['mikedevcl5_ice_list_builder\n  looks_say MESSAGE="inside"\nlooks_say MESSAGE="after"'],
  set_stun_server: ['cloudlink5_addIceServer PASS="" URL="stun:vpn.mikedev101.cc:5349" USER=""'],
  set_turn_server: ['cloudlink5_addIceServer PASS="free" URL="turn:vpn.mikedev101.cc:5349" USER="free"'],
  set_relay_only: ['cloudlink5_setRelayOnly ONOFF="on"'],
  get_relay_peer: ['looks_say MESSAGE=(mikedevcl5_get_relay_peer)'],
  lobby_host: ['looks_say MESSAGE=(cloudlink5_hostId)'],
  lobby_list: ['looks_say MESSAGE=(cloudlink5_listLobbies)'],
  query_lobbies: [''],
  lobby_info: ['looks_say MESSAGE=(mikedevcl5_lobby_info)'],
  query_lobby: ['mikedevcl5_query_lobby LOBBY="DemoLobby"'],
  init_peer_mode: ['cloudlink5_joinLobby NAME="DemoLobby" PASSWORD=""'],
  is_lobby_host: ['control_if CONDITION=(cloudlink5_isHost)\n  looks_say MESSAGE="yes"'],
  init_host_mode: ['cloudlink5_createLobby HIDDEN="no" LOCKED="no" MAX="-1" NAME="DemoLobby" PASSWORD="" RELAY="no"'],
  set_lock_flag: ['cloudlink5_manageLobby ACTION="unlock"'],
  set_player_limit_value: ['cloudlink5_setMaxPlayers MAX="-1"'],
  set_password_value: ['cloudlink5_setLobbyPassword PASSWORD="change me"'],
  kick_peer_from_lobby: ['cloudlink5_kickPlayer PLAYER="instance ID"'],
  transfer_ownership: ['cloudlink5_transferHost PLAYER="instance ID"'],
  close_lobby: ['cloudlink5_manageLobby ACTION="close"'],
  on_new_peer: ['cloudlink5_whenPlayerConnected\nlooks_say MESSAGE="on_new_peer"'],
  get_new_peer: ['looks_say MESSAGE=(cloudlink5_connectedPlayer)'],
  on_peer_left: [
    'cloudlink5_whenPlayerLeaves\ncontrol_if CONDITION=<operator_equals OPERAND1=(cloudlink5_leftPlayer) OPERAND2="instance ID">\n  looks_say MESSAGE="on_peer_left"',
  ],
  get_last_peer: ['looks_say MESSAGE=(cloudlink5_leftPlayer)'],
  get_peers: ['looks_say MESSAGE=(cloudlink5_players)'],
  get_peer_username: ['looks_say MESSAGE=(cloudlink5_usernameOf PLAYER="instance ID")'],
  get_peer_accountid: ['looks_say MESSAGE=(mikedevcl5_get_peer_accountid ID="instance ID")'],
  get_peer_channels: ['looks_say MESSAGE=(cloudlink5_channelList)'],
  is_peer_connected: ['control_if CONDITION=(cloudlink5_isPlayerConnected PLAYER="instance ID")\n  looks_say MESSAGE="yes"'],
  disconnect_peer: ['cloudlink5_disconnectPlayer PLAYER="instance ID"'],
  on_new_dchan: [
    'cloudlink5_whenChannelOpens CHANNEL="foobar"\ncontrol_if CONDITION=<operator_equals OPERAND1=(cloudlink5_channelPlayer) OPERAND2="instance ID">\n  looks_say MESSAGE="on_new_dchan"',
  ],
  new_dchan: ['cloudlink5_openChannel CHANNEL="foobar" MODE="ordered"'],
  on_close_dchan: [
    'cloudlink5_whenChannelCloses CHANNEL="foobar"\ncontrol_if CONDITION=<operator_equals OPERAND1=(cloudlink5_channelPlayer) OPERAND2="instance ID">\n  looks_say MESSAGE="on_close_dchan"',
  ],
  close_dchan: ['cloudlink5_closeChannel CHANNEL="foobar"'],
  on_broadcast_message: ['cloudlink5_whenBroadcast CHANNEL="default"\nlooks_say MESSAGE="on_broadcast_message"'],
  get_global_channel_data: ['looks_say MESSAGE=(cloudlink5_lastData CHANNEL="default" KIND="broadcast")'],
  broadcast: ['cloudlink5_broadcastData CHANNEL="default" DATA="Hello"'],
  on_private_message: ['cloudlink5_whenPrivateFrom CHANNEL="default" PLAYER="instance ID"\nlooks_say MESSAGE="on_private_message"'],
  get_private_channel_data: ['looks_say MESSAGE=(cloudlink5_privateDataFrom CHANNEL="default" PLAYER="instance ID")'],
  send: ['cloudlink5_sendPrivate CHANNEL="default" DATA="Hello" PLAYER="instance ID"'],
  make_global_networked_list: ['cloudlink5_syncList ID="netid" LISTNAME="my list"'],
  make_private_networked_list: ['cloudlink5_syncListWith ID="netid" LISTNAME="my list" PLAYER="instance ID"'],
  make_global_networked_var: ['cloudlink5_syncVariable ID="netid" VAR="my variable"'],
  make_private_networked_var: ['cloudlink5_syncVariableWith ID="netid" PLAYER="instance ID" VAR="my variable"'],
  get_mic_perms: ['control_if CONDITION=(cloudlink5_hasMicrophone)\n  looks_say MESSAGE="yes"'],
  is_peer_vchan_open: ['control_if CONDITION=(cloudlink5_inCallWith PLAYER="instance ID")\n  looks_say MESSAGE="yes"'],
  get_mic_mute_state: [
    'control_if CONDITION=<operator_equals OPERAND1=(cloudlink5_voiceInfo FIELD="muted" PLAYER="instance ID") OPERAND2="true">\n  looks_say MESSAGE="yes"',
  ],
  request_mic_perms: ['cloudlink5_requestMicrophone'],
  change_mic_state: ['cloudlink5_muteFor ACTION="mute" PLAYER="instance ID"'],
  when_peer_rings: ['cloudlink5_whenCallWith EVENT="ringing" PLAYER="instance ID"\nlooks_say MESSAGE="when_peer_rings"'],
  when_peer_answers: ['cloudlink5_whenCallWith EVENT="answered" PLAYER="instance ID"\nlooks_say MESSAGE="when_peer_answers"'],
  when_peer_declines: ['cloudlink5_whenCallWith EVENT="declined" PLAYER="instance ID"\nlooks_say MESSAGE="when_peer_declines"'],
  new_vchan: ['cloudlink5_callPlayer PLAYER="instance ID"'],
  answer_vchan: ['cloudlink5_answerCall PLAYER="instance ID"'],
  decline_vchan: ['cloudlink5_declineCall PLAYER="instance ID"'],
  close_vchan: ['cloudlink5_hangUp PLAYER="instance ID"'],
  get_vchan_volume: ['looks_say MESSAGE=(cloudlink5_voiceInfo FIELD="volume" PLAYER="instance ID")'],
  set_vchan_volume: ['cloudlink5_setVoiceVolume PLAYER="instance ID" VOLUME="100"'],
  change_vchan_volume: [
    'cloudlink5_setVoiceVolume PLAYER="instance ID" VOLUME=(operator_add NUM1=(cloudlink5_voiceInfo FIELD="volume" PLAYER="instance ID") NUM2="10")',
  ],
  ...Object.fromEntries(
    (['x', 'y', 'z'] as const).flatMap((axis) => {
      const voice = (a: string) => `(cloudlink5_voiceInfo FIELD="${a}" PLAYER="instance ID")`;
      const position = (value: string) =>
        `cloudlink5_setVoicePosition PLAYER="instance ID" ${['x', 'y', 'z'].map((a) => `${a.toUpperCase()}=${a === axis ? value : voice(a)}`).join(' ')}`;
      return [
        [`get_vchan_${axis}`, [`looks_say MESSAGE=${voice(axis)}`]],
        [`set_vchan_${axis}`, [position('"0"')]],
        [`change_vchan_${axis}`, [position(`(operator_add NUM1=${voice(axis)} NUM2="10")`)]],
      ];
    }),
  ),
  'set_keepalive off': ['cloudlink5_setKeepalive SECONDS="0"'],
  'init_host_mode computed': [
    'cloudlink5_createLobby HIDDEN="no" LOCKED=<operator_equals OPERAND1="1" OPERAND2="1"> MAX="-1" NAME="DemoLobby" PASSWORD="" RELAY="no"',
  ],
  'set_lock_flag computed': [
    'control_if_else CONDITION=<operator_equals OPERAND1="1" OPERAND2="1">\n  cloudlink5_manageLobby ACTION="lock"\nelse\n  cloudlink5_manageLobby ACTION="unlock"',
  ],
  'change_vchan_volume variable': [
    'cloudlink5_setVoiceVolume PLAYER=[var peer] VOLUME=(operator_add NUM1=(cloudlink5_voiceInfo FIELD="volume" PLAYER=[var peer]) NUM2="10")',
  ],
  'set_vchan_x reporter': [
    'cloudlink5_setVoicePosition PLAYER=(cloudlink5_connectedPlayer) X="0" Y=(cloudlink5_voiceInfo FIELD="y" PLAYER=(cloudlink5_connectedPlayer)) Z=(cloudlink5_voiceInfo FIELD="z" PLAYER=(cloudlink5_connectedPlayer))',
  ],
  'make_global_networked_var computed': ['mikedevcl5_make_global_networked_var CHANNEL="default" ID="netid" VAR=[var peer]'],
  'broadcast wait computed': ['cloudlink5_broadcastData CHANNEL="default" DATA="Hello"'],
  'ice_list_builder outside': ['mikedevcl5_ice_list_builder\n  cloudlink5_addIceServer PASS="" URL="stun:vpn.mikedev101.cc:5349" USER=""'],
  'connection_builder without server': ['mikedevcl5_connection_builder\n  mikedevcl5_auth_with_name USERNAME="x"'],
  'removed in a branch': ['control_if CONDITION=<operator_equals OPERAND1="1" OPERAND2="1">\n  looks_say MESSAGE="kept"'],
  'loose stack': ['looks_say MESSAGE="loose stack"'],
  'connection_builder with token': [
    'cloudlink5_setEncryption ONOFF="on"\ncloudlink5_setToken TOKEN="t"\ncloudlink5_connect URL="ws://127.0.0.1:1/" USERNAME=""',
  ],
};

const CONNECTION_SCRIPT = [
  'event_whenflagclicked',
  'cloudlink5_setEncryption ONOFF="on"',
  'cloudlink5_setGameId UGI="space"',
  'cloudlink5_setKeepalive SECONDS=(operator_multiply NUM1="5" NUM2=<operator_equals OPERAND1="1" OPERAND2="1">)',
  'cloudlink5_clearIceServers',
  'cloudlink5_addIceServer PASS="" URL="stun:vpn.mikedev101.cc:5349" USER=""',
  'cloudlink5_addIceServer PASS="free" URL="turn:vpn.mikedev101.cc:5349" USER="free"',
  'cloudlink5_setRelayOnly ONOFF="on"',
  'cloudlink5_connect URL="wss://cl5.example/" USERNAME="ann"',
  'looks_say MESSAGE="after connect"',
].join('\n');

/** Every block of ours in `project` has exactly its arguments, each in the form getInfo declares, menu values among the menu's items. */
function problemsWithOurBlocks(project: Project): string[] {
  const info = cloudlinkInfo();
  const problems: string[] = [];
  for (const target of project.targets) {
    for (const [id, block] of Object.entries(target.blocks)) {
      if (Array.isArray(block) || !block.opcode.startsWith(`${info.id}_`) || block.shadow) continue;
      const shape = info.blocks.find((b) => `${info.id}_${b.opcode}` === block.opcode);
      if (!shape) {
        problems.push(`${id}: ${block.opcode} is not a block of ours`);
        continue;
      }
      const declared = Object.keys(shape.arguments ?? {}).sort();
      const written = [...Object.keys(block.inputs), ...Object.keys(block.fields)].sort();
      if (JSON.stringify(declared) !== JSON.stringify(written)) problems.push(`${id} ${block.opcode}: arguments ${written} instead of ${declared}`);
      for (const [name, arg] of Object.entries(shape.arguments ?? {})) {
        const menu = arg.menu ? info.menus[arg.menu] : undefined;
        let value: unknown;
        if (menu && !menu.acceptReporters) value = block.fields[name]?.[0];
        else if (menu) {
          const input = block.inputs[name]!;
          const shadow = target.blocks[(input[0] === 1 ? input[1] : input[2]) as string];
          if (shadow?.opcode !== `${info.id}_menu_${arg.menu}` || !shadow.shadow)
            problems.push(`${id} ${block.opcode}: ${name} has no ${arg.menu} menu shadow`);
          value = input[0] === 1 ? shadow?.fields[arg.menu!]?.[0] : undefined;
        } else {
          const input = block.inputs[name]!;
          const shadow = input[0] === 1 ? input[1] : input[2];
          if (!Array.isArray(shadow) || shadow[0] !== (arg.type === 'number' ? 4 : 10))
            problems.push(`${id} ${block.opcode}: ${name} has no ${arg.type} shadow`);
        }
        if (value !== undefined && menu && Array.isArray(menu.items) && !menu.items.some((item) => item.value === value)) {
          problems.push(`${id} ${block.opcode}: ${name} is "${value}", not a value of menu ${arg.menu}`);
        }
      }
    }
  }
  return problems;
}

/** A VM (scratch-vm, or TurboWarp's) with our extension and a stand-in for upstream's (for the blocks left), loading `project`. */
async function loadInVm(project: Project, vm?: VirtualMachineLike): Promise<VmPlayer> {
  const player = new VmPlayer('migrated', vm ? { vm } : {});
  const service = player.vm.extensionManager._registerInternalExtension(upstreamStandIn());
  player.vm.extensionManager._loadedExtensions.set(UPSTREAM.id, service);
  await player.load(project);
  return player;
}

const turbowarp = turbowarpForFile();

describe('migrate-upstream: a project using every upstream block', () => {
  const { project, markers } = everyBlockProject();
  const input = project as unknown as Project;
  let result: ReturnType<typeof migrate>;
  beforeAll(() => {
    result = migrate('every-block', project);
  }, 60_000);

  it('uses every upstream block, as TurboWarp saves them (field menus, empty Boolean slots)', () => {
    const used = new Set(Object.values(sprite(input).blocks).map((b) => b.opcode));
    expect(UPSTREAM.blocks.map((b) => `${UPSTREAM.id}_${b.opcode}`).filter((o) => !used.has(o))).toEqual([]);
    const newDchan = Object.values(sprite(input).blocks).find((b) => b.opcode === 'mikedevcl5_new_dchan')!;
    expect(newDchan.fields.ORDERED).toEqual(['true', null]);
    expect(Object.values(sprite(input).blocks).find((b) => b.opcode === 'mikedevcl5_init_host_mode')!.inputs.LOCK).toBeUndefined();
  });

  it('converts each block to ours with the right arguments and menu values', () => {
    expect(result.stderr).toBe('');
    const scripts = renderScripts(sprite(result.output).blocks);
    expect(scripts.filter((s) => s.startsWith('event_whenflagclicked'))).toEqual([CONNECTION_SCRIPT]);
    for (const marker of markers) {
      // The body of a script started by a broadcast ('' when its only block was removed), a hat's whole script.
      const bodies = scriptsFor(scripts, marker).map((s) => (s.startsWith('event_whenbroadcastreceived') ? s.split('\n').slice(1).join('\n') : s));
      expect(bodies, marker).toEqual(EXPECTED[marker]);
    }
    expect(Object.keys(EXPECTED).sort()).toEqual([...markers].sort());
  });

  it('writes every block of ours in the shape its getInfo declares, and a well-formed project', () => {
    expect(problemsWithOurBlocks(result.output)).toEqual([]);
    expect(validateProject(result.output)).toEqual([]);
  });

  it('lists every block left unconverted with its sprite, script and why; exit code 2 and a summary', () => {
    expect(result.status).toBe(2);
    const blocks = sprite(result.output).blocks;
    const left = Object.entries(blocks).filter(([, b]) => !Array.isArray(b) && isUpstreamBlock(b));
    expect(left.length).toBe(15);
    const topOf = (id: string): string => (blocks[id]!.parent ? topOf(blocks[id]!.parent!) : id);
    for (const [id, block] of left) {
      const entry = result.stdout.split('\n  Player › ').find((e) => e.includes(`block id "${id}"`));
      expect(entry, id).toBeDefined();
      expect(entry).toContain(`(top block "${topOf(id)}"`);
      expect(entry).toContain(`[${block.opcode},`);
      expect(entry!.split('\n')[1]!.length).toBeGreaterThan(`    [${block.opcode}, block id "${id}"] `.length + 20);
    }
    expect(result.stdout).toMatch(/COULD NOT CONVERT 15 block\(s\)/);
    expect(result.stdout).toMatch(/Summary: \d+ converted, 8 removed, 15 not converted\./);
  });

  it('lists the removed blocks too (nothing disappears silently), and the argument it had to drop', () => {
    const before = Object.entries(sprite(input).blocks).filter(([, b]) => isUpstreamBlock(b));
    const gone = before.filter(([id]) => !(id in sprite(result.output).blocks)).map(([id, b]) => [id, b.opcode]);
    expect(gone.map(([, opcode]) => opcode).sort()).toEqual(
      [
        'query_lobbies',
        'query_lobbies',
        'reconnect',
        'set_peerjs_server',
        'set_peerjs_server',
        'set_verbose',
        'set_verbose',
        'set_verbose',
        'auth_with_name',
        'set_game_server',
        'set_game_server',
      ]
        .map((o) => `mikedevcl5_${o}`)
        .sort(),
    );
    for (const [id, opcode] of gone) {
      // set_game_server and auth_with_name went into "connect".
      if (opcode!.endsWith('_auth_with_name') || opcode!.endsWith('_set_game_server')) continue;
      expect(result.stdout).toContain(`block id "${id}"`);
    }
    expect(result.stdout).toMatch(/\[mikedevcl5_broadcast, block id "[^"]+"\] its WAIT argument has no place in the new block/);
  });

  it('replaces the extension (keeping upstream while blocks of it are left) and follows monitors', () => {
    expect(result.output.extensions).toEqual(['mikedevcl5', 'cloudlink5']);
    expect(result.output.extensionURLs).toEqual({ mikedevcl5: UPSTREAM_URL, cloudlink5: 'http://localhost:3000/cloudlink5.js' });
    expect(result.output.monitors.map((m) => [m.id, m.opcode])).toEqual([['cloudlink5_myUsername', 'cloudlink5_myUsername']]);
    expect(result.stdout).toContain('Removed stage monitors (no reporter here to show): "lobby info"');
  });

  for (const [name, makeVm] of [
    ['scratch-vm', () => undefined],
    ["TurboWarp's VM", () => turbowarp().vm<VirtualMachineLike>()],
  ] as const) {
    it(`loads in ${name}, every block of ours known to it, and a converted script runs`, async () => {
      const player = await loadInVm(result.output, makeVm());
      try {
        const target = player.sprite('Player') as unknown as { blocks: { _blocks: Record<string, { opcode: string }> } };
        const loaded = Object.values(target.blocks._blocks).filter((b) => b.opcode.startsWith('cloudlink5_')).length;
        const written = Object.values(sprite(result.output).blocks).filter((b) => !Array.isArray(b) && b.opcode.startsWith('cloudlink5_')).length;
        expect(loaded).toBe(written);
        expect(loaded).toBeGreaterThan(150);
        // "if <1 = 1> then [lock] my lobby": ours runs, and says it is not connected.
        player.broadcast('set_lock_flag computed');
        await until(() => player.client.lastError?.code === 'not-connected', 'the converted lobby block ran');
      } finally {
        await player.close();
      }
    });
  }
});

describe('migrate-upstream: menus saved as input shadows', () => {
  it('reads menu shadows like fields, and leaves a menu holding a reporter unconverted (upstream values differ)', () => {
    const result = migrate('menus', menusAsInputsProject());
    expect(result.status).toBe(2);
    const scripts = renderScripts(result.output.targets[0]!.blocks);
    expect(scripts).toContain(
      'event_whenbroadcastreceived BROADCAST_OPTION="menus"\ncloudlink5_openChannel CHANNEL="foobar" MODE="fast"\ncloudlink5_muteFor ACTION="mute" PLAYER="instance ID"',
    );
    expect(scripts).toContain(
      'event_whenbroadcastreceived BROADCAST_OPTION="menu reporter"\nmikedevcl5_new_dchan CHANNEL="foobar" ORDERED=[var mode] PEER="instance ID"',
    );
    expect(result.stdout).toMatch(/its ORDERED menu holds a reporter/);
    expect(problemsWithOurBlocks(result.output)).toEqual([]);
    // No menu shadow of upstream is left behind by a converted block.
    const shadows = Object.values(result.output.targets[0]!.blocks).filter((b) => !Array.isArray(b) && b.opcode.startsWith('mikedevcl5_menu_'));
    expect(shadows.map((b) => b.opcode)).toEqual(['mikedevcl5_menu_ordered_menu']);
  });

  it('loads CloudLink 5 from --url, or has it inside with --embed', () => {
    const hosted = migrate('menus-url', menusAsInputsProject(), '--url', 'https://games.example/cloudlink5.js');
    expect(hosted.output.extensionURLs.cloudlink5).toBe('https://games.example/cloudlink5.js');
    const embedded = migrate('menus-embed', menusAsInputsProject(), '--embed');
    expect(embedded.stdout).toContain('(it has the extension inside)');
    const [type, data] = embedded.output.extensionURLs.cloudlink5!.split(',');
    expect(type).toBe('data:application/javascript;base64');
    expect(Buffer.from(data!, 'base64').equals(readFileSync(path.join(root, 'dist/cloudlink5.js')))).toBe(true);
  });

  it('refuses a project without upstream blocks, and bad arguments, with a reason and exit code 1', () => {
    const plain = new ProjectBuilder().toJSON();
    const result = migrate('plain', plain);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/uses no block of the upstream CL5 extension/);
    // Block links that loop (a broken file) are refused, not followed forever.
    const broken = menusAsInputsProject() as unknown as Project;
    const blocks = broken.targets[0]!.blocks;
    const hat = Object.keys(blocks).find((id) => blocks[id]!.topLevel)!;
    blocks[blocks[hat]!.next!]!.next = hat;
    const looped = migrate('looped', broken);
    expect(looped.status).toBe(1);
    expect(looped.stderr).toMatch(/malformed project: its block links form a loop/);
    const usage = spawnSync(process.execPath, ['scripts/migrate-upstream.mjs', 'only-one.sb3'], { cwd: root, encoding: 'utf8' });
    expect(usage.status).toBe(1);
    expect(usage.stderr).toMatch(/usage: node scripts\/migrate-upstream\.mjs in\.sb3 out\.sb3/);
  });
});

describe('migrate-upstream: a converted project plays', () => {
  let server: RunningServer;
  const players: VmPlayer[] = [];
  let result: ReturnType<typeof migrate>;

  beforeAll(async () => {
    server = await startServer({ port: 0, logger: silentLogger });
    const project = new ProjectBuilder(upstreamShape());
    project.stage.variable('name', '').variable('state', '').variable('mode', '').variable('newest', '').variable('got', '').variable('left', '');
    project.stage
      .script(
        whenReceived('connect'),
        up('connection_builder', {}, [
          up('set_game_server', { SERVER: `${server.wsUrl}?ugi=migrated` }),
          up('set_keepalive', { ALIVE: equals(1, 1), PING: 5 }),
          up('auth_with_name', { USERNAME: variable('name') }),
          up('set_peerjs_server'),
          up('ice_list_builder', {}, []),
        ]),
      )
      .script(up('on_connect'), setVar('state', 'connected'))
      .script(up('on_player_mode_changed'), setVar('mode', up('get_client_mode')))
      .script(whenReceived('host'), up('init_host_mode', { LOBBY: 'room', PEERS: 4 }))
      .script(whenReceived('join'), up('init_peer_mode', { LOBBY: 'room' }))
      .script(up('on_new_peer'), setVar('newest', up('get_new_peer')))
      .script(whenReceived('send'), up('broadcast', { DATA: 'hello', CHANNEL: 'default' }))
      .script(up('on_broadcast_message', { CHANNEL: 'default' }), setVar('got', up('get_global_channel_data', { CHANNEL: 'default' })))
      .script(up('on_peer_left', { ID: variable('newest') }), setVar('left', up('get_last_peer')))
      .script(whenReceived('leave'), up('destroy'));
    result = migrate('plays', project.toJSON(UPSTREAM_URL));
  }, 60_000);

  afterAll(async () => {
    await closeAll(players);
    await server?.close();
  });

  async function player(name: string): Promise<VmPlayer> {
    const p = new VmPlayer(name);
    players.push(p);
    await p.load(result.output, { name });
    p.broadcast('connect');
    await until(() => p.client.connected && p.stageVariable('state').value === 'connected', `${name} connected, "when connected" ran`);
    return p;
  }

  it('converts completely: upstream is no longer loaded', () => {
    expect(result.status).toBe(0);
    expect(result.output.extensions).toEqual(['cloudlink5']);
    expect(result.output.extensionURLs).toEqual({ cloudlink5: 'http://localhost:3000/cloudlink5.js' });
  });

  it('connects with the name and game id of the upstream settings, hosts, joins, links and broadcasts', async () => {
    const ann = await player('ann');
    expect(ann.client.myUsername).toBe('ann');
    ann.broadcast('host');
    await until(() => ann.client.lobby === 'room' && ann.stageVariable('mode').value === 'host', 'ann hosts; "when my player mode changes" ran');

    const bob = await player('bob');
    bob.broadcast('join');
    await until(() => bob.client.lobby === 'room' && bob.stageVariable('mode').value === 'peer', 'bob joined');
    await until(() => ann.stageVariable('newest').value === bob.client.myId && bob.stageVariable('newest').value === ann.client.myId, 'linked both ways');

    ann.broadcast('send');
    await until(() => bob.stageVariable('got').value === 'hello', 'bob got the broadcast');

    // "when player [(newest)] disconnects": the converted hat's script runs for that player only.
    const bobId = bob.client.myId;
    bob.broadcast('leave');
    await until(() => !bob.client.connected && ann.stageVariable('left').value === bobId, 'ann saw bob leave');

    // The lobby is in the game id the upstream URL named (?ugi=migrated), not in the default one.
    const carol = new CloudLinkClient({ WebSocket: WebSocket as unknown as WebSocketConstructor, keepaliveMs: 0 });
    try {
      await carol.connect({ url: server.wsUrl, username: 'carol', ugi: 'migrated' });
      expect(await carol.listLobbies()).toEqual(['room']);
    } finally {
      carol.disconnect();
    }
  });
});

describe('docs/migrating.md', () => {
  const docs = readFileSync(path.join(root, 'docs/migrating.md'), 'utf8');
  const rowOf = (opcode: string) => docs.split('\n').find((line) => line.startsWith(`| \`${opcode}\` `));

  it('has a row for every upstream block, naming what the script does with it', () => {
    for (const { opcode, text } of UPSTREAM.blocks) {
      const row = rowOf(opcode);
      expect(row, opcode).toBeDefined();
      expect(row, opcode).toContain(text);
      const rule = RULES[opcode]!;
      if (rule.kind === 'removed') expect(row, opcode).toMatch(/\| removed \|/);
      else if (rule.kind === 'none') expect(row, opcode).toMatch(/no equivalent/);
      else for (const to of rule.to.filter((o) => !o.includes('_'))) expect(row, `${opcode} → ${to}`).toContain(`\`${to}\``);
    }
  });

  it('quotes our blocks as getInfo words them (menu values may be filled in)', () => {
    const texts = new Map(cloudlinkInfo().blocks.map((b) => [b.opcode, b.text]));
    const shape = (text: string) => text.replace(/\[[^\]]*\]/g, '[]');
    const quoted = [...docs.matchAll(/`(\w+)` \*\*([^*]+)\*\*/g)].filter(([, opcode]) => texts.has(opcode!));
    expect(quoted.length).toBeGreaterThan(70);
    for (const [, opcode, text] of quoted) expect(shape(text!), opcode).toBe(shape(texts.get(opcode!)!));
  });
});
