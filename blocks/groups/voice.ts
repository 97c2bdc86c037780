// Voice: microphone permission, call / answer / decline / hang up, mute, per-player volume and
// 3-D position, and call events filtered by kind.
import type { VoiceEvent } from '../../src/client/api.js';
import type { BlockContext } from '../context.js';
import { number, text, type BlockGroup } from '../spec.js';

export function voiceBlocks(ctx: BlockContext): BlockGroup {
  const { Scratch, client, hats, t } = ctx;
  const { COMMAND, REPORTER, BOOLEAN, HAT } = Scratch.BlockType;
  const { STRING, NUMBER } = Scratch.ArgumentType;
  let lastCaller = '';

  client.on('voice', (event, peer) => {
    lastCaller = peer;
    hats.fire('whenCall', { event, peer });
    hats.fire('whenCallWith', { event, peer });
  });

  const playerArg = { type: STRING, defaultValue: '' };
  const events: VoiceEvent[] = ['ringing', 'answered', 'declined', 'hungup'];
  const labels: Record<VoiceEvent, string> = {
    ringing: t('menu.ringing', 'rings'),
    answered: t('menu.answered', 'is answered'),
    declined: t('menu.declined', 'is declined'),
    hungup: t('menu.hungup', 'is hung up'),
  };

  return {
    label: t('label.voice', 'Voice'),
    menus: {
      callEvents: { acceptReporters: true, items: events.map((value) => ({ text: labels[value], value })) },
      voiceFields: {
        acceptReporters: true,
        items: ['volume', 'x', 'y', 'z', 'muted', 'loudness'].map((value) => ({ text: t(`menu.voice.${value}`, value), value })),
      },
      muteActions: {
        acceptReporters: true,
        items: [
          { text: t('menu.mute', 'mute'), value: 'mute' },
          { text: t('menu.unmute', 'unmute'), value: 'unmute' },
        ],
      },
    },
    blocks: [
      {
        info: { opcode: 'requestMicrophone', blockType: COMMAND, text: t('requestMicrophone', 'ask for microphone access') },
        run: () => client.requestMicrophone(),
      },
      { info: { opcode: 'hasMicrophone', blockType: BOOLEAN, text: t('hasMicrophone', 'microphone allowed?') }, run: () => client.hasMicrophone },
      {
        info: { opcode: 'callPlayer', blockType: COMMAND, text: t('callPlayer', 'call player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.call(text(PLAYER)),
      },
      {
        info: { opcode: 'answerCall', blockType: COMMAND, text: t('answerCall', 'answer call from player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.answer(text(PLAYER)),
      },
      {
        info: { opcode: 'declineCall', blockType: COMMAND, text: t('declineCall', 'decline call from player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.decline(text(PLAYER)),
      },
      {
        info: { opcode: 'hangUp', blockType: COMMAND, text: t('hangUp', 'hang up call with player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.hangup(text(PLAYER)),
      },
      {
        info: {
          opcode: 'muteFor',
          blockType: COMMAND,
          text: t('muteFor', '[ACTION] my microphone for player [PLAYER]'),
          arguments: { ACTION: { type: STRING, menu: 'muteActions', defaultValue: 'mute' }, PLAYER: playerArg },
        },
        run: ({ ACTION, PLAYER }) => client.setMuted(text(PLAYER), text(ACTION) === 'mute'),
      },
      {
        info: {
          opcode: 'setVoiceVolume',
          blockType: COMMAND,
          text: t('setVoiceVolume', 'set voice volume of player [PLAYER] to [VOLUME] %'),
          arguments: { PLAYER: playerArg, VOLUME: { type: NUMBER, defaultValue: 100 } },
        },
        run: ({ PLAYER, VOLUME }) => client.setVolume(text(PLAYER), number(VOLUME)),
      },
      {
        info: {
          opcode: 'setVoicePosition',
          blockType: COMMAND,
          text: t('setVoicePosition', 'set voice position of player [PLAYER] to x [X] y [Y] z [Z]'),
          arguments: { PLAYER: playerArg, X: { type: NUMBER, defaultValue: 0 }, Y: { type: NUMBER, defaultValue: 0 }, Z: { type: NUMBER, defaultValue: 0 } },
        },
        run: ({ PLAYER, X, Y, Z }) => client.setVoicePosition(text(PLAYER), number(X), number(Y), number(Z)),
      },
      {
        info: { opcode: 'callState', blockType: REPORTER, text: t('callState', 'call with player [PLAYER]'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.callState(text(PLAYER)),
      },
      {
        info: {
          opcode: 'voiceInfo',
          blockType: REPORTER,
          text: t('voiceInfo', '[FIELD] of the voice of player [PLAYER]'),
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
          text: t('whenCall', 'when a call [EVENT]'),
          isEdgeActivated: false,
          arguments: { EVENT: { type: STRING, menu: 'callEvents', defaultValue: 'ringing' } },
        },
        run: ({ EVENT }, util) => hats.accepts(util, 'whenCall')?.event === text(EVENT),
      },
      {
        info: { opcode: 'callPeer', blockType: REPORTER, text: t('callPeer', 'player of the call event') },
        run: (_args, util) => hats.eventOf(util, 'whenCall', 'whenCallWith')?.peer ?? lastCaller,
      },
      {
        info: {
          opcode: 'whenCallWith',
          blockType: HAT,
          text: t('whenCallWith', 'when a call with player [PLAYER] [EVENT]'),
          isEdgeActivated: false,
          arguments: { PLAYER: playerArg, EVENT: { type: STRING, menu: 'callEvents', defaultValue: 'ringing' } },
        },
        run: ({ PLAYER, EVENT }, util) => {
          const call = hats.accepts(util, 'whenCallWith');
          return call?.peer === text(PLAYER) && call.event === text(EVENT);
        },
      },
      {
        info: { opcode: 'inCallWith', blockType: BOOLEAN, text: t('inCallWith', 'in a call with player [PLAYER]?'), arguments: { PLAYER: playerArg } },
        run: ({ PLAYER }) => client.callState(text(PLAYER)) === 'in call',
      },
    ],
  };
}
