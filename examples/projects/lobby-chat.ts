// Lobby chat: the first player to press "h" hosts the lobby "chat room", others press "j" to join.
// Everyone's messages (typed after "space") arrive in the "chat" list through a named ordered
// channel, and "score" (changed with the arrow keys) is one networked variable for the whole lobby.
import { cl5, defineProject } from '../lib/define.js';
import { addToList, answer, ask, block, broadcast, changeVar, join, say, setVar, username, variable, whenFlag, whenKey, whenReceived } from '../lib/project.js';

export default defineProject({
  name: 'lobby-chat',
  description: 'Host or join one lobby, chat on an ordered channel, share a networked score.',
  extension: 'cloudlink5',
  monitors: ['status', 'score', 'chat'],
  stage: {
    variables: { server: 'ws://127.0.0.1:3000/', status: 'offline', problem: '', score: 0 },
    lists: { chat: [] },
    scripts: [
      [
        whenFlag(),
        setVar('status', 'connecting'),
        cl5('setGameId', { UGI: 'cl5-lobby-chat' }),
        cl5('connect', { URL: variable('server'), USERNAME: username() }),
      ],
      [cl5('whenConnected'), setVar('status', 'online: press h to host, j to join')],
      [cl5('whenError'), setVar('problem', cl5('lastError'))],
      [whenKey('h'), cl5('createLobby', { NAME: 'chat room', MAX: 8, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'no' })],
      [whenKey('j'), cl5('joinLobby', { NAME: 'chat room', PASSWORD: '' })],
      [cl5('whenModeChanges', { MODE: 'host' }), setVar('status', 'hosting'), broadcast('in lobby')],
      [cl5('whenModeChanges', { MODE: 'peer' }), setVar('status', 'joined'), broadcast('in lobby')],
      [whenReceived('in lobby'), cl5('openChannel', { CHANNEL: 'chat', MODE: 'ordered' }), cl5('syncVariable', { VAR: 'score', ID: 'score' })],
      [whenKey('space'), ask('Say something'), cl5('broadcastData', { DATA: answer(), CHANNEL: 'chat' }), addToList('chat', join('me: ', answer()))],
      [
        cl5('whenBroadcast', { CHANNEL: 'chat' }),
        addToList(
          'chat',
          join(
            cl5('usernameOf', { PLAYER: cl5('lastSender', { KIND: 'broadcast', CHANNEL: 'chat' }) }),
            join(': ', cl5('lastData', { KIND: 'broadcast', CHANNEL: 'chat' })),
          ),
        ),
      ],
      [whenKey('up arrow'), changeVar('score', 1)],
      [whenKey('down arrow'), changeVar('score', -1)],
    ],
  },
  sprites: {
    Player: {
      scripts: [[whenFlag(), block('looks_setsizeto', { SIZE: 1000 }), say('CloudLink 5 lobby chat')]],
    },
  },
});
