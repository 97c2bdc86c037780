// "sync variable/list [X] with everyone / with player [P] under network id [ID]": binds the
// Scratch variable or list the block names (sprite-local first, then the stage) to the core's
// sync engine, and flushes the engine once per frame (the hook is installed with the first binding
// and removed with the last). Implements the blocks' `DataSync` port (blocks/ports.ts).
import type { CoreClient } from '../../src/client/api.js';
import { CloudLinkError } from '../../src/client/errors.js';
import type { Scope, SyncStore } from '../../src/client/sync/engine.js';
import type { ListMode, VariableMode } from '../ports.js';
import type { ScratchRuntime, ScratchTarget } from '../scratch.js';
import { counterStore } from './counter-store.js';
import { onEveryFrame } from './frame-hook.js';
import { listStore, mergedListStore, variableStore } from './stores.js';

interface Binding {
  scope: Scope;
  /** Puts the Scratch variable or list back the way it was (the stores that watch it change it). */
  detach?: () => void;
}

export class NetworkedData {
  private readonly bindings = new Map<string, Binding[]>();
  private stopFrames: (() => void) | null = null;
  private readonly remoteListeners = new Set<(networkId: string, from: string) => void>();

  constructor(
    private readonly runtime: ScratchRuntime,
    private readonly client: Pick<CoreClient, 'bindNetworked' | 'unbindNetworked' | 'flushSync'>,
  ) {}

  syncVariable(target: ScratchTarget, name: string, networkId: string, peer: string | null, mode: VariableMode = 'value'): void {
    const variable = this.find(target, name, '');
    this.bind(networkId, peer, () => (mode === 'counter' ? counterStore(variable, this.runtime) : variableStore(variable)));
  }

  syncList(target: ScratchTarget, name: string, networkId: string, peer: string | null, mode: ListMode = 'merged'): void {
    const list = this.find(target, name, 'list');
    this.bind(networkId, peer, () => (mode === 'merged' ? mergedListStore(list) : listStore(list)));
  }

  /** Stops syncing the id (all its bindings); true if there was one. */
  stopSyncing(networkId: string): boolean {
    const bindings = this.bindings.get(networkId);
    if (!bindings) return false;
    for (const binding of bindings) {
      this.client.unbindNetworked(networkId, binding.scope);
      binding.detach?.();
    }
    this.bindings.delete(networkId);
    if (this.bindings.size === 0) this.stopFrameHook();
    return true;
  }

  stopAll(): void {
    for (const id of [...this.bindings.keys()]) this.stopSyncing(id);
  }

  /**
   * Calls `listener(networkId, writer)` after a value from another player was written into a synced
   * variable or list (not when binding picks up the current value). `writer` is the instance id of
   * the player who made the change (also when it reached us through a relay or a re-send).
   */
  onRemoteChange(listener: (networkId: string, from: string) => void): () => void {
    this.remoteListeners.add(listener);
    return () => void this.remoteListeners.delete(listener);
  }

  /** The store, with its remote writes reported to the onRemoteChange listeners. */
  private reporting<T extends SyncStore>(networkId: string, store: T): T {
    const report = (writer: string | undefined) => {
      if (writer === undefined) return;
      for (const listener of [...this.remoteListeners]) {
        try {
          listener(networkId, writer);
        } catch (error) {
          console.error('CloudLink 5: remote change listener failed', error);
        }
      }
    };
    const reported = { ...store } as T & { write(value: never, writer?: string): void; patch?(patches: never, writer?: string): void };
    const { write, patch } = reported;
    reported.write = (value: never, writer?: string) => {
      write(value, writer);
      report(writer);
    };
    if (patch) {
      reported.patch = (patches: never, writer?: string) => {
        patch(patches, writer);
        report(writer);
      };
    }
    return reported;
  }

  private find(target: ScratchTarget, name: string, type: '' | 'list') {
    const found = target.lookupVariableByNameAndType(name, type);
    if (!found) throw new CloudLinkError('invalid', `no ${type === 'list' ? 'list' : 'variable'} named "${name}"`);
    return found;
  }

  /** Binds the store `make` returns; binding the same id and scope again replaces the earlier binding. */
  private bind(networkId: string, scope: Scope, make: () => SyncStore & { detach?: () => void }): void {
    if (!networkId) throw new CloudLinkError('invalid', 'the network id must not be empty');
    const existing = this.bindings.get(networkId) ?? [];
    const same = existing.find((b) => b.scope === scope);
    if (same) {
      this.client.unbindNetworked(networkId, scope);
      same.detach?.();
      existing.splice(existing.indexOf(same), 1);
    }
    const store = make();
    const detach = store.detach?.bind(store);
    try {
      this.client.bindNetworked(networkId, scope, this.reporting(networkId, store));
    } catch (error) {
      detach?.();
      throw error;
    }
    existing.push({ scope, detach });
    this.bindings.set(networkId, existing);
    this.stopFrames ??= onEveryFrame(this.runtime, () => this.client.flushSync());
  }

  private stopFrameHook(): void {
    this.stopFrames?.();
    this.stopFrames = null;
  }
}
