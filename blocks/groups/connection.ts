// Connection: server, identity, ICE settings, E2EE, connect/disconnect, status and its events.
import type { IceServer } from '../../src/client/api.js';
import { CloudLinkError } from '../../src/client/errors.js';
import type { BlockContext } from '../context.js';
import { eventHat } from '../event-hat.js';
import { type ConnectionSettings, ProjectSettings } from '../project-settings.js';
import type { BlockGroup } from '../spec.js';

export function connectionBlocks(ctx: BlockContext): BlockGroup {
  const { client, hats } = ctx;
  const { number, text, choice } = ctx.cast;
  const { COMMAND, REPORTER, BOOLEAN, HAT } = ctx.Scratch.BlockType;
  const { STRING, NUMBER } = ctx.Scratch.ArgumentType;
  // Saved in the project (blocks/project-settings.ts); the token is not.
  const applyToClient = ({ iceServers, relayOnly }: Readonly<ConnectionSettings>) => {
    client.setIceServers(iceServers && [...iceServers]);
    client.setRelayOnly(relayOnly);
  };
  const saved = new ProjectSettings(ctx.runtime, applyToClient);
  const project = saved.get();
  if (project.iceServers !== null || project.relayOnly) applyToClient(project);
  let token = '';

  client.on('connected', () => hats.fire('whenConnected', {}));
  let disconnectReason = '';
  client.on('disconnected', (reason) => {
    disconnectReason = reason;
    hats.fire('whenDisconnected', { reason });
  });
  client.on('error', (error) => hats.fire('whenError', error));
  client.on('reconnecting', (reason) => hats.fire('whenReconnecting', { reason }));
  client.on('reconnected', () => hats.fire('whenReconnected', {}));
  client.on('mode', (mode) => hats.fire('whenModeChanges', { mode }));

  return {
    label: () => Scratch.translate('Connection'),
    menus: {
      onOff: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('on'), value: 'on' },
          { text: () => Scratch.translate('off'), value: 'off' },
        ],
      },
      modes: {
        acceptReporters: true,
        items: [
          { text: () => Scratch.translate('host'), value: 'host' },
          { text: () => Scratch.translate('peer'), value: 'peer' },
          { text: () => Scratch.translate('not in a lobby'), value: '' },
        ],
      },
    },
    blocks: [
      {
        info: {
          opcode: 'setGameId',
          blockType: COMMAND,
          text: () => Scratch.translate('set game id to [UGI]'),
          arguments: { UGI: { type: STRING, defaultValue: 'my-game' } },
        },
        run: ({ UGI }) => {
          saved.update({ ugi: text(UGI) || 'default' });
        },
      },
      {
        info: {
          opcode: 'setToken',
          blockType: COMMAND,
          text: () => Scratch.translate('set login token to [TOKEN]'),
          arguments: { TOKEN: { type: STRING, defaultValue: '' } },
        },
        run: ({ TOKEN }) => {
          token = text(TOKEN);
        },
      },
      {
        info: {
          opcode: 'setEncryption',
          blockType: COMMAND,
          text: () => Scratch.translate('end-to-end encryption [ONOFF]'),
          arguments: { ONOFF: { type: STRING, menu: 'onOff', defaultValue: 'on' } },
        },
        run: ({ ONOFF }) => {
          saved.update({ encryption: choice(ONOFF, 'on', 'off') });
        },
      },
      {
        info: {
          opcode: 'setKeepalive',
          blockType: COMMAND,
          text: () => Scratch.translate('send keepalive every [SECONDS] seconds (0 = off)'),
          arguments: { SECONDS: { type: NUMBER, defaultValue: 20 } },
        },
        run: ({ SECONDS }) => {
          saved.update({ keepaliveSeconds: Math.max(0, number(SECONDS)) });
        },
      },
      {
        info: {
          opcode: 'addIceServer',
          blockType: COMMAND,
          text: () => Scratch.translate('add STUN/TURN server [URL] username [USER] password [PASS]'),
          arguments: {
            URL: { type: STRING, defaultValue: 'stun:stun.example.org:3478' },
            USER: { type: STRING, defaultValue: '' },
            PASS: { type: STRING, defaultValue: '' },
          },
        },
        run: ({ URL, USER, PASS }) => {
          const server: IceServer = { urls: text(URL) };
          if (text(USER)) server.username = text(USER);
          if (text(PASS)) server.credential = text(PASS);
          const iceServers = [...(saved.get().iceServers ?? []), server];
          saved.update({ iceServers });
          client.setIceServers([...iceServers]);
        },
      },
      {
        info: { opcode: 'clearIceServers', blockType: COMMAND, text: () => Scratch.translate('remove all STUN/TURN servers') },
        run: () => {
          saved.update({ iceServers: [] });
          client.setIceServers([]);
        },
      },
      {
        info: {
          opcode: 'setRelayOnly',
          blockType: COMMAND,
          text: () => Scratch.translate('connect only through TURN relays [ONOFF]'),
          arguments: { ONOFF: { type: STRING, menu: 'onOff', defaultValue: 'off' } },
        },
        run: ({ ONOFF }) => {
          saved.update({ relayOnly: choice(ONOFF, 'on', 'off') });
          client.setRelayOnly(saved.get().relayOnly);
        },
      },
      {
        info: {
          opcode: 'connect',
          blockType: COMMAND,
          text: () => Scratch.translate('connect to server [URL] as [USERNAME]'),
          arguments: { URL: { type: STRING, defaultValue: 'ws://127.0.0.1:3000/' }, USERNAME: { type: STRING, defaultValue: 'player' } },
        },
        run: async ({ URL, USERNAME }) => {
          // Empty: the server this project last connected to.
          const url = text(URL) || saved.get().url;
          if (!url) throw new CloudLinkError('invalid', 'which server? the URL is empty and this project has not connected to one yet');
          // The gallery's rule: ask TurboWarp before opening a connection (it may ask the user).
          if (ctx.Scratch.canFetch && !(await ctx.Scratch.canFetch(url)))
            throw new CloudLinkError('not-allowed', `not allowed to connect to ${url}: TurboWarp or its user refused (Scratch.canFetch)`);
          saved.update({ url });
          const { ugi, encryption, keepaliveSeconds } = saved.get();
          return client.connect({ url, username: text(USERNAME), ugi, ...(token ? { token } : {}), encryption, keepaliveSeconds });
        },
      },
      { info: { opcode: 'disconnect', blockType: COMMAND, text: () => Scratch.translate('disconnect') }, run: () => client.disconnect() },
      {
        info: {
          opcode: 'setAutoReconnect',
          blockType: COMMAND,
          text: () => Scratch.translate('reconnect by itself after a dropped connection [ONOFF]'),
          arguments: { ONOFF: { type: STRING, menu: 'onOff', defaultValue: 'on' } },
        },
        run: ({ ONOFF }) => client.setAutoReconnect(choice(ONOFF, 'on', 'off')),
      },
      // connected / reconnecting / disconnected: while reconnecting the game goes on peer to peer.
      {
        info: { opcode: 'connectionState', blockType: REPORTER, text: () => Scratch.translate('connection state') },
        run: () => client.connectionState,
      },
      { info: { opcode: 'isConnected', blockType: BOOLEAN, text: () => Scratch.translate('connected?') }, run: () => client.connected },
      { info: { opcode: 'myId', blockType: REPORTER, text: () => Scratch.translate('my player id') }, run: () => client.myId },
      { info: { opcode: 'myUsername', blockType: REPORTER, text: () => Scratch.translate('my username') }, run: () => client.myUsername },
      { info: { opcode: 'myMode', blockType: REPORTER, text: () => Scratch.translate('my mode') }, run: () => client.mode },
      // Inside "when an error happens": the error that started the script; elsewhere the latest.
      {
        info: { opcode: 'lastError', blockType: REPORTER, text: () => Scratch.translate('last error') },
        run: (_args, util) => (hats.eventOf(util, 'whenError') ?? client.lastError)?.message ?? '',
      },
      {
        info: { opcode: 'lastErrorCode', blockType: REPORTER, text: () => Scratch.translate('last error code') },
        run: (_args, util) => (hats.eventOf(util, 'whenError') ?? client.lastError)?.code ?? '',
      },
      // Nothing else clears the last error (a success does not): clear it before a request to see whether that one failed.
      { info: { opcode: 'clearLastError', blockType: COMMAND, text: () => Scratch.translate('clear last error') }, run: () => client.clearLastError() },
      {
        info: { opcode: 'disconnectReason', blockType: REPORTER, text: () => Scratch.translate('reason of the last disconnect') },
        run: (_args, util) => hats.eventOf(util, 'whenDisconnected')?.reason ?? disconnectReason,
      },
      eventHat(ctx, 'whenConnected', () => Scratch.translate('when connected')),
      eventHat(ctx, 'whenDisconnected', () => Scratch.translate('when disconnected')),
      eventHat(ctx, 'whenError', () => Scratch.translate('when an error happens')),
      eventHat(ctx, 'whenReconnecting', () => Scratch.translate('when the connection drops and reconnecting starts')),
      eventHat(ctx, 'whenReconnected', () => Scratch.translate('when reconnected')),
      {
        info: {
          opcode: 'whenModeChanges',
          blockType: HAT,
          text: () => Scratch.translate('when my mode becomes [MODE]'),
          isEdgeActivated: false,
          arguments: { MODE: { type: STRING, menu: 'modes', defaultValue: 'host' } },
        },
        run: ({ MODE }, util) => hats.accepts(util, 'whenModeChanges')?.mode === text(MODE),
      },
    ],
  };
}
