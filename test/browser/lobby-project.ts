// The project the browser tests run on every page: connect, lobby, channels, messages, sync,
// each step started by a broadcast from the test, each effect recorded in a variable or list.
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import {
  type Arg,
  addToList,
  block,
  changeVar,
  deleteOf,
  insertAt,
  join,
  ProjectBuilder,
  repeat,
  replaceItem,
  setVar,
  variable,
  whenReceived,
} from '../../examples/lib/project.js';

const cl5 = (opcode: string, args: Record<string, Arg> = {}) => block(`cloudlink5_${opcode}`, args);

export function lobbyProject(): Buffer {
  const project = new ProjectBuilder(cloudlinkShape());
  const { stage } = project;
  for (const name of ['server', 'name', 'myid', 'hostid', 'target']) stage.variable(name, '');
  stage.variable('mode', '-').variable('links', 0).variable('left', 0).variable('score', 0).list('log').list('inbox');
  stage
    .script(whenReceived('connect'), cl5('setGameId', { UGI: 'browser' }), cl5('connect', { URL: variable('server'), USERNAME: variable('name') }), setVar('myid', cl5('myId')))
    .script(whenReceived('host'), cl5('createLobby', { NAME: 'room', MAX: -1, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'no' }))
    .script(whenReceived('join'), cl5('joinLobby', { NAME: 'room', PASSWORD: '' }))
    .script(whenReceived('sync'), cl5('syncVariable', { VAR: 'score', ID: 'score' }), cl5('syncList', { LISTNAME: 'log', ID: 'log' }))
    .script(whenReceived('edits'), setVar('score', 10), changeVar('score', 5), addToList('log', 'a'), addToList('log', 'b'), insertAt('log', 1, 'first'), replaceItem('log', 2, 'second'), deleteOf('log', 3))
    .script(whenReceived('burst'), repeat(100, [addToList('log', join(variable('name'), '-x')), changeVar('score', 1)]))
    .script(whenReceived('openchannels'), cl5('openChannel', { CHANNEL: 'chat', MODE: 'ordered' }), cl5('openChannel', { CHANNEL: 'moves', MODE: 'fast' }))
    .script(
      whenReceived('say'),
      cl5('broadcastData', { DATA: join('hi from ', variable('name')), CHANNEL: 'chat' }),
      cl5('broadcastData', { DATA: 'on default', CHANNEL: 'default' }),
      cl5('broadcastData', { DATA: join('pos of ', variable('name')), CHANNEL: 'moves' }),
    )
    .script(whenReceived('dm'), cl5('sendPrivate', { DATA: join('secret from ', variable('name')), PLAYER: variable('target'), CHANNEL: 'chat' }))
    .script(whenReceived('kick'), cl5('kickPlayer', { PLAYER: variable('target') }))
    .script(cl5('whenBroadcast', { CHANNEL: 'chat' }), addToList('inbox', join('chat:', cl5('lastData', { KIND: 'broadcast', CHANNEL: 'chat' }))))
    .script(cl5('whenBroadcast', { CHANNEL: 'default' }), addToList('inbox', join('default:', cl5('lastData', { KIND: 'broadcast', CHANNEL: 'default' }))))
    .script(cl5('whenBroadcast', { CHANNEL: 'moves' }), addToList('inbox', join('moves:', cl5('lastData', { KIND: 'broadcast', CHANNEL: 'moves' }))))
    .script(
      cl5('whenPrivate', { CHANNEL: 'chat' }),
      addToList('inbox', join('dm:', join(cl5('lastData', { KIND: 'private', CHANNEL: 'chat' }), join('<', join(cl5('lastSender', { KIND: 'private', CHANNEL: 'chat' }), '>'))))),
    )
    .script(cl5('whenPlayerConnected'), changeVar('links', 1))
    .script(cl5('whenPlayerLeaves'), changeVar('left', 1))
    .script(cl5('whenHostChanges'), setVar('hostid', cl5('hostId')))
    .script(cl5('whenModeChanges', { MODE: 'host' }), setVar('mode', 'host'))
    .script(cl5('whenModeChanges', { MODE: 'peer' }), setVar('mode', 'peer'))
    .script(cl5('whenModeChanges', { MODE: '' }), setVar('mode', 'none'));
  return project.toSb3();
}
