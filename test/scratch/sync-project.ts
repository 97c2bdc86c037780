// The test project: every player connects, joins one lobby, syncs a stage variable and list and a
// sprite-local variable and list, and edits them when told (by broadcasts from the test).
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { addToList, changeVar, join, ProjectBuilder, repeat, variable, whenReceived } from '../../examples/lib/project.js';
import { playerEdits, stageEdits } from '../sync/vm-harness.js';

export function syncProject(): object {
  const project = new ProjectBuilder(cloudlinkShape());
  const { stage } = project;
  stage.variable('server', '').variable('name', '').variable('score', 0).list('log', []).list('inbox', []);
  stage
    .script(whenReceived('connect'), cl5('setGameId', { UGI: 'vm-test' }), cl5('connect', { URL: variable('server'), USERNAME: variable('name') }))
    .script(whenReceived('host'), cl5('createLobby', { NAME: 'room', MAX: -1, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'no' }))
    .script(whenReceived('join'), cl5('joinLobby', { NAME: 'room', PASSWORD: '' }))
    .script(whenReceived('sync'), cl5('syncVariable', { VAR: 'score', ID: 'score' }), cl5('syncList', { LISTNAME: 'log', ID: 'log' }))
    .script(...stageEdits())
    .script(whenReceived('burst'), repeat(100, [addToList('log', join(variable('name'), '-x')), changeVar('score', 1)]))
    .script(whenReceived('openchat'), cl5('openChannel', { CHANNEL: 'chat', MODE: 'ordered' }))
    .script(
      whenReceived('say'),
      cl5('broadcastData', { DATA: join('hi from ', variable('name')), CHANNEL: 'chat' }),
      cl5('broadcastData', { DATA: 'on default', CHANNEL: 'default' }),
    )
    .script(
      cl5('whenBroadcast', { CHANNEL: 'chat' }),
      addToList(
        'inbox',
        join(
          'chat:',
          join(cl5('lastData', { KIND: 'broadcast', CHANNEL: 'chat' }), join('<', join(cl5('lastSender', { KIND: 'broadcast', CHANNEL: 'chat' }), '>'))),
        ),
      ),
    )
    .script(cl5('whenBroadcast', { CHANNEL: 'default' }), addToList('inbox', join('default:', cl5('lastData', { KIND: 'broadcast', CHANNEL: 'default' }))));

  const player = project.sprite('Player');
  player.variable('hp', 100).list('inv', []);
  player.script(whenReceived('sync'), cl5('syncVariable', { VAR: 'hp', ID: 'hp' }), cl5('syncList', { LISTNAME: 'inv', ID: 'inv' })).script(...playerEdits());
  return project.toJSON();
}
