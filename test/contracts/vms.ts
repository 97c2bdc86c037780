// The Scratch VMs the contract tests check: the npm scratch-vm, and TurboWarp's VM (from
// @turbowarp/packager's scaffolding, headless in jsdom, test/sync/turbowarp.ts) with its compiler
// on and off. Only the fields the contract tests touch are typed.
import { readFileSync } from 'node:fs';
import VirtualMachine from 'scratch-vm';
import type { TurboWarpWindow } from '../sync/turbowarp.js';

/** The installed version (scratch-vm's exports hide its package.json from require). */
export const versionOf = (name: string) =>
  (JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

export interface ContractVariable {
  value: unknown;
  _monitorUpToDate?: boolean;
}
export interface ContractTarget {
  id: string;
  isStage: boolean;
  getName(): string;
  blocks: { getBlock(id: string): { opcode: string } | undefined };
  lookupVariableByNameAndType(name: string, type: string): ContractVariable | null;
}
export interface ContractThread {
  topBlock?: string;
  target?: ContractTarget;
  status?: number;
  stackClick?: boolean;
  isCompiled?: boolean;
  constructor: { STATUS_DONE?: number };
}
export interface ContractVm {
  runtime: {
    targets: ContractTarget[];
    threads?: ContractThread[];
    currentStepTime: number;
    compilerOptions?: { enabled: boolean };
    constructor: { AFTER_EXECUTE?: string };
    startHats(opcode: string, fields?: Record<string, string>, target?: ContractTarget): ContractThread[] | undefined;
    toggleScript(topBlockId: string, options: { target: ContractTarget; stackClick: boolean }): void;
    getTargetForStage(): ContractTarget;
    on(event: string, listener: () => void): void;
    off?(event: string, listener: () => void): void;
    removeListener?(event: string, listener: () => void): void;
    start(): void;
    quit(): void;
    _step(): void;
  };
  extensionManager: { _registerInternalExtension(extension: object): string; _loadedExtensions: Map<string, string>; nextExtensionWorker: number };
  setCompilerOptions?(options: { enabled: boolean }): void;
  loadProject(project: object): Promise<void>;
  stopAll(): void;
  quit?(): void;
}

export interface VmVariant {
  name: string;
  turbowarp: boolean;
  make(tw: TurboWarpWindow): ContractVm;
}

export const vmVariants: VmVariant[] = [
  { name: `scratch-vm ${versionOf('scratch-vm')} (npm)`, turbowarp: false, make: () => new VirtualMachine() as unknown as ContractVm },
  { name: `TurboWarp VM from @turbowarp/packager ${versionOf('@turbowarp/packager')}, compiler on`, turbowarp: true, make: (tw) => tw.vm<ContractVm>() },
  {
    name: `TurboWarp VM from @turbowarp/packager ${versionOf('@turbowarp/packager')}, compiler off`,
    turbowarp: true,
    make: (tw) => {
      const vm = tw.vm<ContractVm>();
      vm.setCompilerOptions!({ enabled: false });
      return vm;
    },
  },
];

/** Scratch's dispatch is process-wide (and window-wide in jsdom): each registration needs its own service name. */
let nextService = 1000;

/** Registers an extension object the way TurboWarp registers an unsandboxed one. */
export function registerExtension(vm: ContractVm, extension: { getInfo(): { id: string } }): void {
  vm.extensionManager.nextExtensionWorker = nextService++;
  vm.extensionManager._loadedExtensions.set(extension.getInfo().id, vm.extensionManager._registerInternalExtension(extension));
}

/** Loads a project for frames stepped by hand (`runtime._step()`). */
export async function load(vm: ContractVm, json: object): Promise<void> {
  await vm.loadProject(json);
  vm.runtime.currentStepTime = 250; // runtime.start() would set it
}

export function close(vm: ContractVm | undefined): void {
  vm?.stopAll();
  vm?.quit?.();
}
