// Voice: microphone permission, call / answer / decline / hang up, mute, per-player volume and
// 3-D position, and call events filtered by kind.
import type { VoiceEvent } from '../../src/client/api.js';
import type { BlockContext } from '../context.js';
import type { BlockGroup } from '../spec.js';
import type { Text } from '../translate.js';

export function voiceBlocks(ctx: BlockContext): BlockGroup {
  const { client, hats } = ctx;
  const { number, text } = ctx.cast;
  const { COMMAND, REPORTER, BOOLEAN, HAT } = ctx.Scratch.BlockType;
  const { STRING, NUMBER } = ctx.Scratch.ArgumentType;
  let lastCaller = '';

  client.on('voice', (event, peer) => {
    lastCaller = peer;
    hats.fire('whenCall', { event, peer });
    hats.fire('whenCallWith', { event, peer });
  });

  const playerArg = { type: STRING, defaultValue: '' };
  const events: VoiceEvent[] = ['ringing', 'answered', 'declined', 'hungup'];
  const labels: Record<VoiceEvent, Text> = {
    ringing: () => Scratch.translate('rings'),
    answered: () => Scratch.translate('is answered'),
    declined: () => Scratch.translate('is declined'),
    hungup: () => Scratch.translate('is hung up'),
  };

  return {
    label: () => Scratch.translate('Voice'),
    menus: {
      callEvents: { acceptReporters: true, items: events.map((value) => ({ text: labels[value], value })) },
      voiceFields: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('volume'), value: 'volume' },
          { text: () => Scratch.translate('x'), value: 'x' },
          { text: () => Scratch.translate('y'), value: 'y' },
          { text: () => Scratch.translate('z'), value: 'z' },
          { text: () => Scratch.translate('muted'), value: 'muted' },
          { text: () => Scratch.translate('loudness'), value: 'loudness' },
        ],
      },
      muteActions: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('mute'), value: 'mute' },
          { text: () => Scratch.translate('unmute'), value: 'unmute' },
        ],
      },
    },
    blocks: [
      {
        info: { opcode: 'requestMicrophone', blockType: COMMAND, text: () => Scratch.translate('ask for microphone access') },
        run: () => client.requestMicrophone(),
      },
      { info: { opcode: 'hasMicrophone', blockType: BOOLEAN, text: () => Scratch.translate('microphone allowed?') }, run: () => client.hasMicrophone },
      {
        info: { opcode: 'callPlayer', blockType: COMMAND, text: () => Scratch.translate('call player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.call(text(PLAYER)),
      },
      {
        info: { opcode: 'answerCall', blockType: COMMAND, text: () => Scratch.translate('answer call from player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.answer(text(PLAYER)),
      },
      {
        info: {
          opcode: 'declineCall',
          blockType: COMMAND,
          text: () => Scratch.translate('decline call from player [PLAYER]'),
          arguments: { PLAYER: playerArg },
        },
        run: ({ PLAYER }) => client.decline(text(PLAYER)),
      },
      {
        info: { opcode: 'hangUp', blockType: COMMAND, text: () => Scratch.translate('hang up call with player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.hangup(text(PLAYER)),
      },
      {
        info: {
          opcode: 'muteFor',
          blockType: COMMAND,
          text: () => Scratch.translate('[ACTION] my microphone for player [PLAYER]'),
          arguments: { ACTION: { type: STRING, menu: 'muteActions', defaultValue: 'mute' }, PLAYER: playerArg },
        },
        run: ({ ACTION, PLAYER }) => client.setMuted(text(PLAYER), text(ACTION) === 'mute'),
      },
      {
        info: {
          opcode: 'setVoiceVolume',
          blockType: COMMAND,
          text: () => Scratch.translate('set voice volume of player [PLAYER] to [VOLUME] %'),
          arguments: { PLAYER: playerArg, VOLUME: { type: NUMBER, defaultValue: 100 } },
        },
        run: ({ PLAYER, VOLUME }) => client.setVolume(text(PLAYER), number(VOLUME)),
      },
      {
        info: {
          opcode: 'setVoicePosition',
          blockType: COMMAND,
          text: () => Scratch.translate('set voice position of player [PLAYER] to x [X] y [Y] z [Z]'),
          arguments: { PLAYER: playerArg, X: { type: NUMBER, defaultValue: 0 }, Y: { type: NUMBER, defaultValue: 0 }, Z: { type: NUMBER, defaultValue: 0 } },
        },
        run: ({ PLAYER, X, Y, Z }) => client.setVoicePosition(text(PLAYER), number(X), number(Y), number(Z)),
      },
      {
        info: { opcode: 'callState', blockType: REPORTER, text: () => Scratch.translate('call with player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.callState(text(PLAYER)),
      },
      {
        info: {
          opcode: 'voiceInfo',
          blockType: REPORTER,
          text: () => Scratch.translate('[FIELD] of the voice of player [PLAYER]'),
          arguments: { FIELD: { type: STRING, menu: 'voiceFields', defaultValue: 'loudness' }, PLAYER: playerArg },
        },
        run: ({ FIELD, PLAYER }) => {
          const info = client.voiceInfo(text(PLAYER));
          const value = info?.[text(FIELD) as keyof typeof info];
          return value === undefined ? '' : value;
        },
      },
      {
        info: {
          opcode: 'whenCall',
          blockType: HAT,
          text: () => Scratch.translate('when a call [EVENT]'),
          isEdgeActivated: false,
          arguments: { EVENT: { type: STRING, menu: 'callEvents', defaultValue: 'ringing' } },
        },
        run: ({ EVENT }, util) => hats.accepts(util, 'whenCall')?.event === text(EVENT),
      },
      {
        info: { opcode: 'callPeer', blockType: REPORTER, text: () => Scratch.translate('player of the call event') },
        run: (_args, util) => hats.eventOf(util, 'whenCall', 'whenCallWith')?.peer ?? lastCaller,
      },
      {
        info: {
          opcode: 'whenCallWith',
          blockType: HAT,
          text: () => Scratch.translate('when a call with player [PLAYER] [EVENT]'),
          isEdgeActivated: false,
          arguments: { PLAYER: playerArg, EVENT: { type: STRING, menu: 'callEvents', defaultValue: 'ringing' } },
        },
        run: ({ PLAYER, EVENT }, util) => {
          const call = hats.accepts(util, 'whenCallWith');
          return call?.peer === text(PLAYER) && call.event === text(EVENT);
        },
      },
      {
        info: { opcode: 'inCallWith', blockType: BOOLEAN, text: () => Scratch.translate('in a call with player [PLAYER]?'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.callState(text(PLAYER)) === 'in call',
      },
    ],
  };
}
