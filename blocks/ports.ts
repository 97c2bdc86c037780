// The ports the blocks call through, so block definitions hold no networking or Scratch-state logic
// and tests can pass fakes. The core client's port is `CoreClient` (src/client/api.ts); the binding
// of Scratch variables/lists to networked data (blocks/sync/) is `DataSync`, below.
import type { CoreClient } from '../src/client/api.js';
import type { ScratchRuntime, ScratchTarget } from './scratch.js';

/** How a variable merges concurrent changes: last writer wins, or (numbers) everyone's changes add up. */
export type VariableMode = 'value' | 'counter';
/** How a list merges concurrent changes: everyone's edits take effect, or the last whole list wins. */
export type ListMode = 'merged' | 'whole';

/**
 * Binds Scratch variables and lists to network ids (protocol.md §4). Implemented by
 * `NetworkedData` (blocks/sync/networked-data.ts); wired in blocks/wiring.ts.
 * Every method may throw (missing variable, empty id, ...): the blocks turn that into "last error".
 */
export interface DataSync {
  /**
   * Sync the variable `name` as seen from `target` (its own first, then the stage's) under
   * `networkId`, with everyone (`peer` null: G_VAR) or with one player (`peer` = instance id: P_VAR).
   * Binding the same id and scope again replaces the earlier binding. `mode` (default 'value'): see
   * VariableMode and docs/sync.md.
   */
  syncVariable(target: ScratchTarget, name: string, networkId: string, peer: string | null, mode: VariableMode): void;
  /** The same for a list (G_LIST / P_LIST); `mode` defaults to 'merged'. */
  syncList(target: ScratchTarget, name: string, networkId: string, peer: string | null, mode: ListMode): void;
  /** Stop syncing every binding of `networkId`; false if there was none. */
  stopSyncing(networkId: string): boolean;
  /** Stop every binding (the "stop syncing everything" block). */
  stopAll(): void;
  /**
   * Optional: call `listener` after a remote change was written into a synced variable/list, with
   * its network id and the sender's instance id. Powers "when [ID] is changed by another player";
   * without it that hat never runs. Returns a function that removes the listener.
   */
  onRemoteChange?(listener: (networkId: string, from: string) => void): () => void;
}

/** Builds the DataSync for one extension instance (it needs the runtime for its per-frame flush). */
export type DataSyncFactory = (runtime: ScratchRuntime, client: CoreClient) => DataSync;
