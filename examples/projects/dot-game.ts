// Dot game: a small real-time game. Press "h" to host, "j" to join. Move your dot with the arrow
// keys; every player sees the other dot move, its x and y streamed ~20 times a second on two fast
// (unordered, unreliable) channels. Space scores a point; "s" saves your score to the shared
// high-score list, a networked list every player sees.
import { cl5, defineProject } from '../lib/define.js';
import { addToList, block, broadcast, changeVar, forever, join, setVar, username, variable, wait, whenFlag, whenKey, whenReceived } from '../lib/project.js';

const position = (axis: 'x' | 'y') => block(`motion_${axis}position`);

export default defineProject({
  name: 'dot-game',
  description: 'Move dots everyone sees over a fast channel; a networked high-score list.',
  extension: 'cloudlink5',
  monitors: ['status', 'points', 'high scores'],
  stage: {
    variables: { server: 'ws://127.0.0.1:3000/', status: 'offline', problem: '', points: 0 },
    lists: { 'high scores': [] },
    scripts: [
      [
        whenFlag(),
        setVar('status', 'connecting'),
        cl5('setGameId', { UGI: 'cl5-dot-game' }),
        cl5('connect', { URL: variable('server'), USERNAME: username() }),
      ],
      [cl5('whenConnected'), setVar('status', 'online: press h to host, j to join')],
      [cl5('whenError'), setVar('problem', cl5('lastError'))],
      [whenKey('h'), cl5('createLobby', { NAME: 'dots', MAX: 8, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'no' })],
      [whenKey('j'), cl5('joinLobby', { NAME: 'dots', PASSWORD: '' })],
      [cl5('whenModeChanges', { MODE: 'host' }), setVar('status', 'hosting'), broadcast('in lobby')],
      [cl5('whenModeChanges', { MODE: 'peer' }), setVar('status', 'joined'), broadcast('in lobby')],
      [
        whenReceived('in lobby'),
        cl5('openChannel', { CHANNEL: 'x', MODE: 'fast' }),
        cl5('openChannel', { CHANNEL: 'y', MODE: 'fast' }),
        cl5('syncList', { LISTNAME: 'high scores', ID: 'high-scores' }),
      ],
      [whenKey('space'), changeVar('points', 1)],
      [whenKey('s'), addToList('high scores', join(username(), join(': ', variable('points')))), setVar('points', 0)],
    ],
  },
  sprites: {
    Me: {
      scripts: [
        [whenFlag(), block('motion_gotoxy', { X: -100, Y: -80 }), block('looks_setsizeto', { SIZE: 1200 })],
        [whenKey('right arrow'), block('motion_changexby', { DX: 10 })],
        [whenKey('left arrow'), block('motion_changexby', { DX: -10 })],
        [whenKey('up arrow'), block('motion_changeyby', { DY: 10 })],
        [whenKey('down arrow'), block('motion_changeyby', { DY: -10 })],
        // Stream my position on the fast channel: a lost packet is simply replaced by the next one.
        [
          whenReceived('in lobby'),
          wait(0.3),
          forever([cl5('broadcastData', { DATA: position('x'), CHANNEL: 'x' }), cl5('broadcastData', { DATA: position('y'), CHANNEL: 'y' }), wait(0.05)]),
        ],
      ],
    },
    Them: {
      scripts: [
        [
          whenFlag(),
          block('motion_gotoxy', { X: 100, Y: -80 }),
          block('looks_setsizeto', { SIZE: 1200 }),
          block('looks_seteffectto', { VALUE: 100 }, { EFFECT: 'COLOR' }),
        ],
        [cl5('whenBroadcast', { CHANNEL: 'x' }), block('motion_setx', { X: cl5('lastData', { KIND: 'broadcast', CHANNEL: 'x' }) })],
        [cl5('whenBroadcast', { CHANNEL: 'y' }), block('motion_sety', { Y: cl5('lastData', { KIND: 'broadcast', CHANNEL: 'y' }) })],
      ],
    },
  },
});
