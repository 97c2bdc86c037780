// The project the browser tests run on every page: connect, lobby, channels, messages, sync,
// each step started by a broadcast from the test, each effect recorded in a variable or list.
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { addToList, changeVar, join, ProjectBuilder, type TargetBuilder, repeat, setVar, variable, whenReceived } from '../../examples/lib/project.js';
import { stageEdits } from '../sync/edit-scripts.js';

/**
 * The scripts every browser test project starts with, each started by a broadcast from the test:
 * "connect" (to the variable server, as name; my id into myid), "host" and "join" the lobby `lobby`.
 */
export function lobbyControl(stage: TargetBuilder, lobby: string): TargetBuilder {
  return stage
    .script(
      whenReceived('connect'),
      cl5('setGameId', { UGI: 'browser' }),
      cl5('connect', { URL: variable('server'), USERNAME: variable('name') }),
      setVar('myid', cl5('myId')),
    )
    .script(whenReceived('host'), cl5('createLobby', { NAME: lobby, MAX: -1, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'no' }))
    .script(whenReceived('join'), cl5('joinLobby', { NAME: lobby, PASSWORD: '' }));
}

export function lobbyProject(): Buffer {
  const project = new ProjectBuilder(cloudlinkShape());
  const { stage } = project;
  for (const name of ['server', 'name', 'myid', 'hostid', 'target']) stage.variable(name, '');
  stage.variable('mode', '-').variable('links', 0).variable('left', 0).variable('score', 0).list('log').list('inbox');
  for (const name of ['mic', 'ring', 'state', 'vvol', 'vx', 'vy', 'vz', 'vloud']) stage.variable(name, '');
  stage.list('calls');
  lobbyControl(stage, 'room')
    .script(whenReceived('sync'), cl5('syncVariable', { VAR: 'score', ID: 'score' }), cl5('syncList', { LISTNAME: 'log', ID: 'log' }))
    .script(...stageEdits())
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
      addToList(
        'inbox',
        join('dm:', join(cl5('lastData', { KIND: 'private', CHANNEL: 'chat' }), join('<', join(cl5('lastSender', { KIND: 'private', CHANNEL: 'chat' }), '>')))),
      ),
    )
    .script(cl5('whenPlayerConnected'), changeVar('links', 1))
    .script(cl5('whenPlayerLeaves'), changeVar('left', 1))
    .script(cl5('whenHostChanges'), setVar('hostid', cl5('hostId')))
    .script(cl5('whenModeChanges', { MODE: 'host' }), setVar('mode', 'host'))
    .script(cl5('whenModeChanges', { MODE: 'peer' }), setVar('mode', 'peer'))
    .script(cl5('whenModeChanges', { MODE: '' }), setVar('mode', 'none'));

  // Voice.
  const peer = () => cl5('callPeer');
  stage
    .script(whenReceived('mic'), cl5('requestMicrophone'), setVar('mic', cl5('hasMicrophone')))
    .script(whenReceived('call'), cl5('callPlayer', { PLAYER: variable('target') }))
    .script(whenReceived('answer'), cl5('answerCall', { PLAYER: variable('ring') }))
    .script(whenReceived('decline'), cl5('declineCall', { PLAYER: variable('ring') }))
    .script(whenReceived('hangup'), cl5('hangUp', { PLAYER: variable('target') }))
    .script(
      whenReceived('voicesettings'),
      cl5('setVoiceVolume', { PLAYER: variable('target'), VOLUME: 35 }),
      cl5('setVoicePosition', { PLAYER: variable('target'), X: 10, Y: -5, Z: 2 }),
      cl5('muteFor', { ACTION: 'mute', PLAYER: variable('target') }),
    )
    .script(
      whenReceived('voiceinfo'),
      setVar('state', cl5('callState', { PLAYER: variable('target') })),
      setVar('vvol', cl5('voiceInfo', { FIELD: 'volume', PLAYER: variable('target') })),
      setVar('vx', cl5('voiceInfo', { FIELD: 'x', PLAYER: variable('target') })),
      setVar('vy', cl5('voiceInfo', { FIELD: 'y', PLAYER: variable('target') })),
      setVar('vz', cl5('voiceInfo', { FIELD: 'z', PLAYER: variable('target') })),
      setVar('vloud', cl5('voiceInfo', { FIELD: 'loudness', PLAYER: variable('target') })),
    )
    .script(cl5('whenCall', { EVENT: 'ringing' }), setVar('ring', peer()), addToList('calls', join('ringing:', peer())))
    .script(cl5('whenCall', { EVENT: 'answered' }), addToList('calls', join('answered:', peer())))
    .script(cl5('whenCall', { EVENT: 'declined' }), addToList('calls', join('declined:', peer())))
    .script(cl5('whenCall', { EVENT: 'hungup' }), addToList('calls', join('hungup:', peer())));
  return project.toSb3();
}
