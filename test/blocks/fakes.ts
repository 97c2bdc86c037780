// A recording CoreClient and a minimal Scratch runtime, to test what each block asks of the core.
import type { ClientEvents, CoreClient } from '../../src/client/api.js';
import { CloudLinkError } from '../../src/client/errors.js';
import { Emitter } from '../../src/peer/emitter.js';
import type { DataSync } from '../../blocks/ports.js';
import type { BlockUtil, ScratchApi, ScratchRuntime, ScratchTarget, ScratchThread } from '../../blocks/scratch.js';
import { ArgumentType, BlockType } from '../../examples/lib/extension-shape.js';
import { ScratchVmCast } from '../../examples/lib/scratch-cast.js';

export type Call = [method: string, ...args: unknown[]];

/** Every CoreClient method records its call; `failNext` makes the next call of a method throw (or reject) a CloudLinkError. */
export function fakeClient(): CoreClient & {
  calls: Call[];
  failNext(method: string, message: string, code?: CloudLinkError['code']): void;
  emitter: Emitter<ClientEvents>;
  errors: string[];
} {
  const emitter = new Emitter<ClientEvents>();
  const calls: Call[] = [];
  const failures = new Map<string, CloudLinkError>();
  const errors: string[] = [];
  const reported = new WeakSet<object>();
  const state: Record<string, unknown> = {
    connected: true,
    connectionState: 'connected',
    myId: 'me-1',
    myUsername: 'ann',
    mode: 'host',
    lastError: null,
    lobby: 'room',
    isHost: true,
    hostId: 'me-1',
    hasMicrophone: false,
  };
  const results: Record<string, unknown> = {
    listLobbies: ['room', 'other'],
    findLobby: {
      name: 'room',
      host: { instance_id: 'me-1', user_id: 'u', username: 'ann' },
      max_players: 4,
      current_players: 2,
      currently_locked: false,
      password_required: true,
      relay_enabled: false,
      hidden: false,
    },
    players: ['p-2', 'p-3'],
    channels: ['default', 'chat'],
    callState: 'idle',
    serverPing: 12,
  };
  const usernames: Record<string, string> = { 'p-2': 'bob', 'p-3': 'cat' };
  // Like the real core: "last error" + the error event (which runs the error hat), once per error.
  const report = (error: unknown) => {
    if (typeof error === 'object' && error !== null && reported.has(error)) return;
    const failure = CloudLinkError.from(error);
    reported.add(failure);
    state.lastError = failure;
    errors.push(failure.message);
    emitter.emit('error', failure);
  };
  const handler: ProxyHandler<object> = {
    get(_target, property: string) {
      if (property === 'calls') return calls;
      if (property === 'errors') return errors;
      if (property === 'emitter') return emitter;
      if (property === 'on') return emitter.on.bind(emitter);
      if (property === 'failNext')
        return (method: string, message: string, code: CloudLinkError['code'] = 'unexpected') => failures.set(method, new CloudLinkError(code, message));
      if (property in state) return state[property];
      if (property === 'reportError') return report;
      if (property === 'then') return undefined;
      return (...args: unknown[]) => {
        calls.push([property, ...args]);
        const error = failures.get(property);
        if (error !== undefined) {
          failures.delete(property);
          // The real core reports a failing call itself before it throws (the blocks' reportError then does nothing).
          report(error);
          if (['connect', 'createLobby', 'joinLobby', 'leaveLobby', 'listLobbies', 'findLobby', 'call', 'answer', 'requestMicrophone'].includes(property))
            return Promise.reject(error);
          throw error;
        }
        if (property === 'usernameOf') return usernames[String(args[0])] ?? '';
        if (property === 'isPeerConnected') return args[0] === 'p-2';
        if (property === 'playerPing') return args[0] === 'p-2' ? 34 : -1;
        const result = results[property];
        return [
          'connect',
          'createLobby',
          'joinLobby',
          'leaveLobby',
          'listLobbies',
          'findLobby',
          'lockLobby',
          'unlockLobby',
          'hideLobby',
          'showLobby',
          'closeLobby',
          'setMaxPlayers',
          'setPassword',
          'kick',
          'transferHost',
          'requestMicrophone',
          'call',
          'answer',
        ].includes(property)
          ? Promise.resolve(result)
          : result;
      };
    },
  };
  return new Proxy({}, handler) as ReturnType<typeof fakeClient>;
}

export interface InstalledHat {
  opcode: string;
  args: Record<string, unknown>;
  fired: unknown[];
}

/**
 * A runtime whose startHats behaves like TurboWarp's: every installed hat of that opcode is
 * evaluated at once (the extension's predicate with the hat's own arguments) and the threads
 * whose predicate held are returned.
 */
export function fakeRuntime(extension: () => Record<string, unknown>) {
  const hats: InstalledHat[] = [];
  const runtime: ScratchRuntime & { hats: InstalledHat[] } = {
    hats,
    _step() {},
    startHats(opcode) {
      const threads: ScratchThread[] = [];
      for (const hat of hats) {
        if (`cloudlink5_${hat.opcode}` !== opcode) continue;
        const thread = { target: {} } as ScratchThread;
        const method = extension()[hat.opcode] as ((args: object, util: BlockUtil) => unknown) | undefined;
        // EVENT hats have no predicate; HATs run theirs.
        if (!method || method(hat.args, { target: {} as BlockUtil['target'], thread })) {
          threads.push(thread);
          hat.fired.push(thread);
        }
      }
      return threads;
    },
  };
  return runtime;
}

export function fakeScratch(runtime: ScratchRuntime, options: { unsandboxed?: boolean; translate?: boolean } = {}): ScratchApi & { registered: object[] } {
  const registered: object[] = [];
  return {
    registered,
    extensions: { unsandboxed: options.unsandboxed ?? true, register: (ext: object) => void registered.push(ext) },
    vm: { runtime },
    Cast: ScratchVmCast,
    ArgumentType,
    BlockType: { ...BlockType, LABEL: 'label' },
    ...(options.translate
      ? { translate: ((m: string | { default: string }) => `T(${typeof m === 'string' ? m : m.default})`) as ScratchApi['translate'] }
      : {}),
  };
}

/** A recording DataSync; `remoteChange` plays a change arriving from another player. */
export function fakeSync(options: { failWith?: string; withEvents?: boolean } = {}) {
  const calls: [method: string, ...args: unknown[]][] = [];
  const listeners: ((id: string, from: string) => void)[] = [];
  const sync: DataSync & { calls: typeof calls; remoteChange(id: string, from: string): void } = {
    calls,
    syncVariable(target: ScratchTarget, name: string, networkId: string, peer: string | null) {
      calls.push(['syncVariable', target, name, networkId, peer]);
      if (options.failWith) throw new Error(options.failWith);
    },
    syncList(target: ScratchTarget, name: string, networkId: string, peer: string | null) {
      calls.push(['syncList', target, name, networkId, peer]);
      if (options.failWith) throw new Error(options.failWith);
    },
    stopSyncing(networkId: string) {
      calls.push(['stopSyncing', networkId]);
      return true;
    },
    stopAll() {
      calls.push(['stopAll']);
    },
    remoteChange: (id, from) => {
      for (const listener of listeners) listener(id, from);
    },
  };
  if (options.withEvents !== false)
    sync.onRemoteChange = (listener) => {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    };
  return sync;
}
