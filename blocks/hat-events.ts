// Every CloudLink 5 hat (short opcode, as in getInfo()) and the event it is fired with. One table:
// `hats.fire`, `hats.accepts` and `hats.eventOf` are typed by it, so firing a hat with the wrong
// payload, or a name that is not a hat, does not compile. A new HAT block goes here first
// (test/blocks/hats.test.ts checks getInfo()'s HAT opcodes against HAT_NAMES).
import type { ClientEvents, ReceivedMessage } from '../src/client/api.js';

/** A hat whose event carries nothing (only that it happened). */
type Nothing = Record<string, never>;

export interface HatPayloads {
  // connection
  whenConnected: Nothing;
  whenDisconnected: { reason: string };
  whenError: ClientEvents['error'][0];
  whenModeChanges: { mode: ClientEvents['mode'][0] };
  whenReconnecting: { reason: string };
  whenReconnected: Nothing;
  // lobbies
  whenLobbyCreated: { name: string };
  whenLobbyClosed: { name: string };
  whenHostChanges: { id: string };
  // matchmaking
  whenMatched: { lobby: string; created: boolean };
  // players
  whenPlayerJoins: { id: string };
  whenPlayerLeaves: { id: string };
  whenPlayerConnected: { id: string };
  whenLinkLost: { id: string };
  whenLinkBack: { id: string };
  // channels and messages
  whenBroadcast: ReceivedMessage;
  whenPrivate: ReceivedMessage;
  whenPrivateFrom: ReceivedMessage;
  whenMessageFrom: ReceivedMessage;
  whenChannelOpens: { peer: string; label: string };
  whenChannelCloses: { peer: string; label: string };
  // networked data
  whenDataChanged: { id: string; from: string };
  // voice
  whenCall: { event: ClientEvents['voice'][0]; peer: string };
  whenCallWith: { event: ClientEvents['voice'][0]; peer: string };
}

export type HatName = keyof HatPayloads;

/** Each key of HatPayloads once, at run time (the compiler makes this object list exactly those keys). */
const names: Record<HatName, true> = {
  whenConnected: true,
  whenDisconnected: true,
  whenError: true,
  whenModeChanges: true,
  whenReconnecting: true,
  whenReconnected: true,
  whenLobbyCreated: true,
  whenLobbyClosed: true,
  whenHostChanges: true,
  whenMatched: true,
  whenPlayerJoins: true,
  whenPlayerLeaves: true,
  whenPlayerConnected: true,
  whenLinkLost: true,
  whenLinkBack: true,
  whenBroadcast: true,
  whenPrivate: true,
  whenPrivateFrom: true,
  whenMessageFrom: true,
  whenChannelOpens: true,
  whenChannelCloses: true,
  whenDataChanged: true,
  whenCall: true,
  whenCallWith: true,
};

export const HAT_NAMES = Object.keys(names) as HatName[];
