// Projects made with the upstream CL5 extension (id mikedevcl5, v1.0.1), written the way TurboWarp
// saves them: the example builder given upstream's block shapes (scripts/migrate/upstream-cl5-blocks.json),
// so its menus (none accepts reporters) are fields named by the argument, and Boolean slots hold a
// reporter or nothing. `menusAsInputs` writes menus as input shadows (`mikedevcl5_menu_X`) instead.
import {
  block,
  type Block,
  type Arg,
  type ExtensionShape,
  ProjectBuilder,
  say,
  whenReceived,
  whenFlag,
  equals,
  ifThen,
  variable,
} from '../../examples/lib/project.js';
import { UPSTREAM as upstream } from '../../scripts/migrate/upstream-blocks.js';

export const UPSTREAM = upstream;
/** Where the upstream project says its extension comes from (never fetched). */
export const UPSTREAM_URL = 'https://cl5.example/index.js';

export function upstreamShape(menusAsInputs = false): ExtensionShape {
  return {
    id: upstream.id,
    blocks: upstream.blocks.map((b) => ({ opcode: b.opcode, arguments: b.args })),
    menus: Object.fromEntries(Object.keys(upstream.menus).map((menu) => [menu, { acceptReporters: menusAsInputs }])),
  };
}

const shapes = new Map(upstream.blocks.map((b) => [b.opcode, b]));

/** An upstream block with its default arguments (Boolean slots empty), overridden by `args`. */
export function up(opcode: string, args: Record<string, Arg> = {}, body?: Block[]): Block {
  const shape = shapes.get(opcode);
  if (!shape) throw new Error(`upstream has no block ${opcode}`);
  const defaults: Record<string, Arg> = {};
  for (const [name, arg] of Object.entries(shape.args)) {
    if (arg.type !== 'Boolean' || 'menu' in arg) defaults[name] = String(arg.defaultValue);
  }
  return { ...block(`${upstream.id}_${opcode}`, { ...defaults, ...args }), ...(body ? { bodies: { SUBSTACK: body } } : {}) };
}

const kindOf = (opcode: string) => shapes.get(opcode)!.blockType;
const truth = () => equals(1, 1);

/**
 * The settings script a typical upstream project starts with: "create connection, then connect" with
 * the game server, keepalive, logging, name, session server and ICE servers inside.
 */
export function connectionScript(server: string, username: Arg): Block[] {
  return [
    up('connection_builder', {}, [
      up('set_game_server', { SERVER: server }),
      up('set_keepalive', { ALIVE: truth(), PING: 5 }),
      up('set_verbose', { LEVEL: '2' }),
      up('auth_with_name', { USERNAME: username }),
      up('set_peerjs_server'),
      up('ice_list_builder', {}, [up('set_stun_server'), up('set_turn_server')]),
      up('set_relay_only'),
    ]),
    say('after connect'),
  ];
}

/** Blocks used in more than one way, each in its own script named by the key (a broadcast, or a say for hats). */
const VARIANTS: Record<string, Block[]> = {
  'set_keepalive off': [up('set_keepalive', { PING: 7 })],
  'init_host_mode computed': [up('init_host_mode', { LOCK: truth() })],
  'set_lock_flag computed': [up('set_lock_flag', { LOCK: truth() })],
  'change_vchan_volume variable': [up('change_vchan_volume', { PEER: variable('peer') })],
  'set_vchan_x reporter': [up('set_vchan_x', { PEER: up('get_new_peer') })],
  'make_global_networked_var computed': [up('make_global_networked_var', { VAR: variable('peer') })],
  'broadcast wait computed': [up('broadcast', { WAIT: truth() })],
  'ice_list_builder outside': [up('ice_list_builder', {}, [up('set_stun_server')])],
  'connection_builder without server': [up('connection_builder', {}, [up('auth_with_name', { USERNAME: 'x' })])],
  'removed in a branch': [ifThen(truth(), [up('query_lobbies'), say('kept')])],
  'connection_builder with token': [
    up('connection_builder', {}, [up('set_game_server', { SERVER: 'ws://127.0.0.1:1/' }), up('auth_with_token', { TOKEN: 't' })]),
  ],
};

/** A project using every upstream block: one script per block (hats with a say naming them), plus the variants above. */
export function everyBlockProject(): { project: Record<string, unknown>; markers: string[] } {
  const project = new ProjectBuilder(upstreamShape());
  project.stage.variable('peer', 'someone');
  const sprite = project.sprite('Player');
  sprite.variable('my variable', 0).list('my list', []);
  const markers: string[] = [];
  sprite.script(whenFlag(), ...connectionScript('wss://cl5.example/?ugi=space', 'ann'));
  for (const { opcode } of upstream.blocks) {
    markers.push(opcode);
    const kind = kindOf(opcode);
    if (kind === 'event' || kind === 'hat') sprite.script(up(opcode), say(opcode));
    else if (kind === 'reporter') sprite.script(whenReceived(opcode), say(up(opcode)));
    else if (kind === 'Boolean') sprite.script(whenReceived(opcode), ifThen(up(opcode), [say('yes')]));
    else if (kind === 'conditional') sprite.script(whenReceived(opcode), up(opcode, {}, [say('inside')]), say('after'));
    else sprite.script(whenReceived(opcode), up(opcode));
  }
  for (const [name, blocks] of Object.entries(VARIANTS)) {
    markers.push(name);
    sprite.script(whenReceived(name), ...blocks);
  }
  // A loose stack (no hat) whose top block is removed.
  markers.push('loose stack');
  sprite.script(up('set_verbose'), say('loose stack'));
  const json = project.toJSON(UPSTREAM_URL);
  // Stage monitors of two upstream reporters, as TurboWarp saves them.
  json.monitors = ['my_Username', 'lobby_info'].map((opcode, index) => ({
    id: `${upstream.id}_${opcode}`,
    mode: 'default',
    opcode: `${upstream.id}_${opcode}`,
    params: {},
    spriteName: null,
    value: '',
    width: 0,
    height: 0,
    x: 5,
    y: 5 + 30 * index,
    visible: true,
    sliderMin: 0,
    sliderMax: 100,
    isDiscrete: true,
  }));
  return { project: json, markers };
}

/** The menus as input shadows (a project of an upstream version whose menus accepted reporters). */
export function menusAsInputsProject(): Record<string, unknown> {
  const project = new ProjectBuilder(upstreamShape(true));
  project.stage.variable('mode', 'true');
  project.stage
    .script(whenReceived('menus'), up('new_dchan', { ORDERED: 'false' }), up('change_mic_state', { MICSTATE: '0' }), up('set_verbose', { LEVEL: '3' }))
    .script(whenReceived('menu reporter'), up('new_dchan', { ORDERED: variable('mode') }));
  return project.toJSON(UPSTREAM_URL);
}

/** A stand-in for the upstream extension in a VM (its block shapes, blocks that do nothing), for projects that still use some of its blocks. */
export function upstreamStandIn(): Record<string, unknown> {
  const extension: Record<string, unknown> = {
    getInfo: () => ({
      id: upstream.id,
      name: upstream.name,
      blocks: upstream.blocks.map((b) => ({
        opcode: b.opcode,
        blockType: b.blockType,
        text: b.text,
        arguments: b.args,
        ...(b.blockType === 'conditional' ? { branchCount: 1 } : {}),
        ...(b.blockType === 'event' || b.blockType === 'hat' ? { isEdgeActivated: false } : {}),
      })),
      menus: Object.fromEntries(Object.entries(upstream.menus).map(([name, items]) => [name, { items }])),
    }),
  };
  for (const b of upstream.blocks) extension[b.opcode] = () => (b.blockType === 'Boolean' ? false : b.blockType === 'reporter' ? '' : undefined);
  return extension;
}
