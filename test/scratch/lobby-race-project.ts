// The project of the lobby race tests (Scratch VMs in Node and TurboWarp in Chromium): a busy
// `forever` loop, and a script that creates, leaves, joins and leaves again, reading the state the
// next block sees after each step. Also the hats of a host migration, and error codes with
// "clear last error". Each step is started by a broadcast from the test.
import { cl5 } from '../../examples/lib/define.js';
import { cloudlinkShape } from '../../examples/lib/extension-shape.js';
import { addToList, changeVar, forever, join, ProjectBuilder, repeat, setVar, variable, whenReceived, type Block } from '../../examples/lib/project.js';

export const RACE_CYCLES = 50;

/** What a script reads right after a lobby block: "mode|am I the host?|my lobby". */
const state = (): Block => join(cl5('myMode'), join('|', join(cl5('isHost'), join('|', cl5('myLobby')))));

/** The four reads of one race cycle, as the player `name` must see them. */
export const expectedCycle = (name: string) => [`host|true|solo ${name}`, '|false|', 'peer|false|hub', '|false|'];

export const lobbyRaceProject = (): object => lobbyRaceBuilder().toJSON();
/** The same as an .sb3, for TurboWarp in Chromium (test/browser/lobby-race.test.ts). */
export const lobbyRaceSb3 = (): Buffer => lobbyRaceBuilder().toSb3();

function lobbyRaceBuilder(): ProjectBuilder {
  const project = new ProjectBuilder(cloudlinkShape());
  const { stage } = project;
  stage.variable('server', '').variable('name', '').variable('myid', '').variable('n', 0).list('reads', []).list('events', []).list('errs', []);
  const lobby = (name: Block | string) => ({ NAME: name, MAX: -1, PASSWORD: '', LOCKED: 'no', HIDDEN: 'no', RELAY: 'no' });
  stage
    .script(
      whenReceived('connect'),
      cl5('setGameId', { UGI: 'race' }),
      cl5('connect', { URL: variable('server'), USERNAME: variable('name') }),
      setVar('myid', cl5('myId')),
    )
    .script(whenReceived('spin'), forever([changeVar('n', 1)]))
    .script(whenReceived('hub'), cl5('createLobby', lobby('hub')))
    .script(whenReceived('joinhub'), cl5('joinLobby', { NAME: 'hub', PASSWORD: '' }))
    .script(whenReceived('leave'), cl5('leaveLobby'))
    .script(
      whenReceived('race'),
      repeat(RACE_CYCLES, [
        cl5('createLobby', lobby(join('solo ', variable('name')))),
        addToList('reads', state()),
        cl5('leaveLobby'),
        addToList('reads', state()),
        cl5('joinLobby', { NAME: 'hub', PASSWORD: '' }),
        addToList('reads', state()),
        cl5('leaveLobby'),
        addToList('reads', state()),
      ]),
      addToList('reads', 'done'),
    )
    .script(cl5('whenHostChanges'), addToList('events', join('host:', cl5('hostId'))))
    .script(cl5('whenModeChanges', { MODE: 'host' }), addToList('events', 'mode:host'))
    .script(cl5('whenPlayerLeaves'), addToList('events', join('left:', cl5('usernameOf', { PLAYER: cl5('leftPlayer') }))))
    .script(
      whenReceived('errors'),
      cl5('joinLobby', { NAME: 'nowhere', PASSWORD: '' }),
      addToList('errs', cl5('lastErrorCode')),
      addToList('errs', cl5('lastError')),
      cl5('joinLobby', { NAME: 'hub', PASSWORD: '' }),
      addToList('errs', join('after a success:', cl5('lastErrorCode'))),
      cl5('clearLastError'),
      addToList('errs', join('cleared:', cl5('lastErrorCode'))),
      addToList('errs', 'done'),
    );
  return project;
}
