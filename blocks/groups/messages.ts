// Channels and messages: named channels (ordered or fast), broadcast and private messages,
// hats filtered by channel (and sender), and reporters for the data that started the script.
import type { ReceivedMessage } from '../../src/client/api.js';
import type { BlockContext } from '../context.js';
import { data, reported, type BlockGroup } from '../spec.js';
import type { BlockUtil } from '../scratch.js';

const key = (kind: string, channel: string) => `${kind}\n${channel}`;
const fromKey = (from: string, channel: string) => `${from}\n${channel}`;
const MESSAGE_HATS = ['whenBroadcast', 'whenPrivate', 'whenPrivateFrom', 'whenMessageFrom'] as const;

export function messageBlocks(ctx: BlockContext): BlockGroup {
  const { client, hats } = ctx;
  const { text } = ctx.cast;
  const { COMMAND, REPORTER, HAT } = ctx.Scratch.BlockType;
  const { STRING } = ctx.Scratch.ArgumentType;
  const latest = new Map<string, ReceivedMessage>();
  /** Latest private message per sender and channel. */
  const latestPrivate = new Map<string, ReceivedMessage>();

  client.on('message', (message) => {
    latest.set(key(message.kind, message.channel), message);
    // Ordered channels: the hats run once per message, in order. Fast channels carry state where
    // only the newest counts: a message waiting for a busy hat is replaced by its sender's next one.
    const options = message.fast ? { newestBy: `${message.kind}\n${message.from}\n${message.channel}` } : {};
    if (message.kind === 'private') {
      latestPrivate.set(fromKey(message.from, message.channel), message);
      hats.fire('whenPrivate', message, options);
      hats.fire('whenPrivateFrom', message, options);
    } else hats.fire('whenBroadcast', message, options);
    hats.fire('whenMessageFrom', message, options);
  });
  // A player who left sends nothing more: forget their messages (the map stays small).
  client.on('peer-leave', (id) => {
    for (const k of [...latestPrivate.keys()]) if (k.startsWith(`${id}\n`)) latestPrivate.delete(k);
  });
  let lastChannelPeer = '';
  client.on('channel-open', (peer, label) => {
    lastChannelPeer = peer;
    hats.fire('whenChannelOpens', { peer, label });
  });
  client.on('channel-close', (peer, label) => {
    lastChannelPeer = peer;
    hats.fire('whenChannelCloses', { peer, label });
  });

  /** The message that started this script if it matches, else the latest of that kind on that channel. */
  const message = (util: BlockUtil, kind: string, channel: string): ReceivedMessage | undefined => {
    const started = hats.eventOf(util, ...MESSAGE_HATS);
    if (started && started.kind === kind && started.channel === channel) return started;
    return latest.get(key(kind, channel));
  };
  /** The same for one sender's private messages. */
  const privateFrom = (util: BlockUtil, from: string, channel: string): ReceivedMessage | undefined => {
    const started = hats.eventOf(util, ...MESSAGE_HATS);
    if (started && started.kind === 'private' && started.from === from && started.channel === channel) return started;
    return latestPrivate.get(fromKey(from, channel));
  };
  const playerArg = { type: STRING, defaultValue: '' };
  const channelArg = { type: STRING, menu: 'channels', defaultValue: 'default' };
  const kindArg = { type: STRING, menu: 'kinds', defaultValue: 'broadcast' };

  return {
    label: () => Scratch.translate('Channels and messages'),
    menus: {
      channels: { acceptReporters: true, items: 'channelMenu' },
      kinds: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('broadcast'), value: 'broadcast' },
          { text: () => Scratch.translate('private'), value: 'private' },
        ],
      },
      channelModes: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('reliable and ordered'), value: 'ordered' },
          { text: () => Scratch.translate('fast (unordered, may drop)'), value: 'fast' },
        ],
      },
    },
    menuItems: { channelMenu: () => client.channels() },
    blocks: [
      {
        info: {
          opcode: 'openChannel',
          blockType: COMMAND,
          text: () => Scratch.translate('open channel [CHANNEL] [MODE]'),
          arguments: { CHANNEL: { type: STRING, defaultValue: 'game' }, MODE: { type: STRING, menu: 'channelModes', defaultValue: 'ordered' } },
        },
        run: ({ CHANNEL, MODE }) => client.openChannel(text(CHANNEL), text(MODE) !== 'fast'),
      },
      {
        info: { opcode: 'closeChannel', blockType: COMMAND, text: () => Scratch.translate('close channel [CHANNEL]'), arguments: { CHANNEL: channelArg } },
        run: ({ CHANNEL }) => client.closeChannel(text(CHANNEL)),
      },
      { info: { opcode: 'channelList', blockType: REPORTER, text: () => Scratch.translate('channels (JSON)') }, run: () => JSON.stringify(client.channels()) },
      {
        info: {
          opcode: 'broadcastData',
          blockType: COMMAND,
          text: () => Scratch.translate('broadcast [DATA] on channel [CHANNEL]'),
          arguments: { DATA: { type: STRING, defaultValue: 'hello' }, CHANNEL: channelArg },
        },
        run: ({ DATA, CHANNEL }) => client.broadcast(data(DATA), text(CHANNEL)),
      },
      {
        info: {
          opcode: 'sendPrivate',
          blockType: COMMAND,
          text: () => Scratch.translate('send [DATA] to player [PLAYER] on channel [CHANNEL]'),
          arguments: { DATA: { type: STRING, defaultValue: 'hello' }, PLAYER: playerArg, CHANNEL: channelArg },
        },
        run: ({ DATA, PLAYER, CHANNEL }) => client.sendPrivate(text(PLAYER), data(DATA), text(CHANNEL)),
      },
      {
        info: {
          opcode: 'whenBroadcast',
          blockType: HAT,
          text: () => Scratch.translate('when I get a broadcast on channel [CHANNEL]'),
          isEdgeActivated: false,
          arguments: { CHANNEL: channelArg },
        },
        run: ({ CHANNEL }, util) => hats.accepts(util, 'whenBroadcast')?.channel === text(CHANNEL),
      },
      {
        info: {
          opcode: 'whenPrivate',
          blockType: HAT,
          text: () => Scratch.translate('when I get a private message on channel [CHANNEL]'),
          isEdgeActivated: false,
          arguments: { CHANNEL: channelArg },
        },
        run: ({ CHANNEL }, util) => hats.accepts(util, 'whenPrivate')?.channel === text(CHANNEL),
      },
      {
        info: {
          opcode: 'whenPrivateFrom',
          blockType: HAT,
          text: () => Scratch.translate('when I get a private message from player [PLAYER] on channel [CHANNEL]'),
          isEdgeActivated: false,
          arguments: { PLAYER: playerArg, CHANNEL: channelArg },
        },
        run: ({ PLAYER, CHANNEL }, util) => {
          const message = hats.accepts(util, 'whenPrivateFrom');
          return message?.from === text(PLAYER) && message.channel === text(CHANNEL);
        },
      },
      {
        info: {
          opcode: 'whenMessageFrom',
          blockType: HAT,
          text: () => Scratch.translate('when I get any message from player [PLAYER]'),
          isEdgeActivated: false,
          arguments: { PLAYER: { type: STRING, defaultValue: '' } },
        },
        run: ({ PLAYER }, util) => hats.accepts(util, 'whenMessageFrom')?.from === text(PLAYER),
      },
      {
        info: {
          opcode: 'lastData',
          blockType: REPORTER,
          text: () => Scratch.translate('[KIND] data on channel [CHANNEL]'),
          arguments: { KIND: kindArg, CHANNEL: channelArg },
        },
        run: ({ KIND, CHANNEL }, util) => reported(message(util, text(KIND), text(CHANNEL))?.payload),
      },
      {
        info: {
          opcode: 'lastSender',
          blockType: REPORTER,
          text: () => Scratch.translate('sender of [KIND] on channel [CHANNEL]'),
          arguments: { KIND: kindArg, CHANNEL: channelArg },
        },
        run: ({ KIND, CHANNEL }, util) => message(util, text(KIND), text(CHANNEL))?.from ?? '',
      },
      {
        info: {
          opcode: 'privateDataFrom',
          blockType: REPORTER,
          text: () => Scratch.translate('private data from player [PLAYER] on channel [CHANNEL]'),
          arguments: { PLAYER: playerArg, CHANNEL: channelArg },
        },
        run: ({ PLAYER, CHANNEL }, util) => reported(privateFrom(util, text(PLAYER), text(CHANNEL))?.payload),
      },
      {
        info: {
          opcode: 'whenChannelOpens',
          blockType: HAT,
          text: () => Scratch.translate('when channel [CHANNEL] opens with a player'),
          isEdgeActivated: false,
          arguments: { CHANNEL: channelArg },
        },
        run: ({ CHANNEL }, util) => hats.accepts(util, 'whenChannelOpens')?.label === text(CHANNEL),
      },
      {
        info: {
          opcode: 'whenChannelCloses',
          blockType: HAT,
          text: () => Scratch.translate('when channel [CHANNEL] closes with a player'),
          isEdgeActivated: false,
          arguments: { CHANNEL: channelArg },
        },
        run: ({ CHANNEL }, util) => hats.accepts(util, 'whenChannelCloses')?.label === text(CHANNEL),
      },
      {
        info: { opcode: 'channelPlayer', blockType: REPORTER, text: () => Scratch.translate('player of the channel event') },
        run: (_args, util) => hats.eventOf(util, 'whenChannelOpens', 'whenChannelCloses')?.peer ?? lastChannelPeer,
      },
    ],
  };
}
