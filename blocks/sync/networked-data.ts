// "sync variable/list [X] with everyone / with player [P] under network id [ID]": binds the
// Scratch variable or list the block names (sprite-local first, then the stage) to the core's
// sync engine, and flushes the engine once per frame (the hook is installed with the first binding
// and removed with the last). Implements the blocks' `DataSync` port (blocks/ports.ts).
import type { CoreClient } from '../../src/client/api.js';
import { CloudLinkError } from '../../src/client/errors.js';
import type { Scope, SyncStore } from '../../src/client/sync/engine.js';
import type { ScratchRuntime, ScratchTarget } from '../scratch.js';
import { onEveryFrame } from './frame-hook.js';
import { listStore, variableStore, type ScratchListStore } from './stores.js';

interface Binding {
  scope: Scope;
  list?: ScratchListStore;
}

export class NetworkedData {
  private readonly bindings = new Map<string, Binding[]>();
  private stopFrames: (() => void) | null = null;
  private readonly remoteListeners = new Set<(networkId: string, from: string) => void>();

  constructor(
    private readonly runtime: ScratchRuntime,
    private readonly client: Pick<CoreClient, 'bindNetworked' | 'unbindNetworked' | 'flushSync'>,
  ) {}

  syncVariable(target: ScratchTarget, name: string, networkId: string, peer: string | null): void {
    const variable = this.find(target, name, '');
    this.bind(networkId, peer, () => {
      this.client.bindNetworked(networkId, peer, this.reporting(networkId, variableStore(variable)));
      return {};
    });
  }

  syncList(target: ScratchTarget, name: string, networkId: string, peer: string | null): void {
    const list = this.find(target, name, 'list');
    this.bind(networkId, peer, () => {
      const store = listStore(list);
      try {
        this.client.bindNetworked(networkId, peer, this.reporting(networkId, store));
      } catch (error) {
        store.detach();
        throw error;
      }
      return { list: store };
    });
  }

  /** Stops syncing the id (all its bindings); true if there was one. */
  stopSyncing(networkId: string): boolean {
    const bindings = this.bindings.get(networkId);
    if (!bindings) return false;
    for (const binding of bindings) {
      this.client.unbindNetworked(networkId, binding.scope);
      binding.list?.detach();
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
    const write = store.write as (value: never, writer?: string) => void;
    return {
      ...store,
      write: (value: never, writer?: string) => {
        write(value, writer);
        if (writer === undefined) return;
        for (const listener of [...this.remoteListeners]) {
          try {
            listener(networkId, writer);
          } catch (error) {
            console.error('CloudLink 5: remote change listener failed', error);
          }
        }
      },
    };
  }

  private find(target: ScratchTarget, name: string, type: '' | 'list') {
    const found = target.lookupVariableByNameAndType(name, type);
    if (!found) throw new CloudLinkError('invalid', `no ${type === 'list' ? 'list' : 'variable'} named "${name}"`);
    return found;
  }

  private bind(networkId: string, scope: Scope, attach: () => Omit<Binding, 'scope'>): void {
    if (!networkId) throw new CloudLinkError('invalid', 'the network id must not be empty');
    const existing = this.bindings.get(networkId) ?? [];
    const same = existing.find((b) => b.scope === scope);
    if (same) {
      this.client.unbindNetworked(networkId, scope);
      same.list?.detach();
      existing.splice(existing.indexOf(same), 1);
    }
    existing.push({ scope, ...attach() });
    this.bindings.set(networkId, existing);
    this.stopFrames ??= onEveryFrame(this.runtime, () => this.client.flushSync());
  }

  private stopFrameHook(): void {
    this.stopFrames?.();
    this.stopFrames = null;
  }
}
