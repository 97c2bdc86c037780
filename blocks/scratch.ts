// The slice of TurboWarp's extension API (the global `Scratch`) and VM objects the blocks use.

export interface ScratchVariable {
  id: string;
  name: string;
  type: '' | 'list' | 'broadcast_msg';
  value: unknown;
  _monitorUpToDate?: boolean;
}

export interface ScratchTarget {
  id: string;
  isStage: boolean;
  isOriginal?: boolean;
  sprite?: { name: string; clones: ScratchTarget[] };
  variables: Record<string, ScratchVariable>;
  lookupVariableByNameAndType(name: string, type: string, skipStage?: boolean): ScratchVariable | null;
  getAllVariableNamesInScopeByType?(type: string, skipStage?: boolean): string[];
}

export interface ScratchThread {
  target: ScratchTarget;
}

export interface BlockUtil {
  target: ScratchTarget;
  thread: ScratchThread;
}

export interface ScratchRuntime {
  startHats(opcode: string, fields?: Record<string, string>, target?: ScratchTarget): ScratchThread[] | undefined;
  getEditingTarget?(): ScratchTarget | null;
  getTargetForStage?(): ScratchTarget | null;
  requestUpdateMonitor?(state: unknown): void;
  _step(): void;
  on?(event: string, listener: () => void): void;
}

export interface BlockArgument {
  type: string;
  defaultValue?: unknown;
  menu?: string;
}

export interface BlockInfo {
  opcode: string;
  blockType: string;
  text: string;
  arguments?: Record<string, BlockArgument>;
  isEdgeActivated?: boolean;
  shouldRestartExistingThreads?: boolean;
  disableMonitor?: boolean;
}

export interface MenuInfo {
  acceptReporters: boolean;
  items: string | { text: string; value: string }[];
}

/** Scratch's type conversions (TurboWarp's `Scratch.Cast`; scratch-vm's src/util/cast.js). */
export interface ScratchCast {
  toString(value: unknown): string;
  toNumber(value: unknown): number;
  toBoolean(value: unknown): boolean;
}

export interface ScratchApi {
  extensions: { unsandboxed?: boolean; register(extension: object): void };
  Cast: ScratchCast;
  /** TurboWarp: whether the user allows the project to reach this URL (may ask them). Missing elsewhere: allowed. */
  canFetch?(url: string): Promise<boolean>;
  vm?: { runtime: ScratchRuntime };
  translate?: ((message: string | { id?: string; default: string }) => string) & { setup?: (messages: object) => void };
  ArgumentType: Record<'STRING' | 'NUMBER' | 'BOOLEAN', string>;
  BlockType: Record<'COMMAND' | 'REPORTER' | 'BOOLEAN' | 'HAT' | 'EVENT', string> & { LABEL?: string };
}
