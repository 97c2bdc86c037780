// A player running the real (vanilla) Scratch VM headless in Node, with the CloudLink 5 extension
// registered and connected through real WebSockets and real WebRTC.
import { wrtc } from '../helpers/wrtc.js';
import VirtualMachine from 'scratch-vm';
import WebSocket from 'ws';
import { createExtension } from '../../blocks/extension.js';
import type { ScratchRuntime, ScratchTarget } from '../../blocks/scratch.js';
import { nodeScratch } from '../../examples/lib/extension-shape.js';
import type { ReconnectPolicy } from '../../src/client/reconnect-policy.js';
import { CloudLinkClient } from '../../src/client/cloudlink.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';

export interface VirtualMachineLike {
  runtime: ScratchRuntime & {
    targets: (ScratchTarget & { getName(): string })[];
    getTargetForStage(): ScratchTarget;
    startHats(opcode: string, fields?: Record<string, string>): unknown[];
  };
  extensionManager: { _registerInternalExtension(extension: object): string; _loadedExtensions: Map<string, string>; nextExtensionWorker: number };
  loadProject(project: object | string): Promise<void>;
  start(): void;
  quit?(): void;
  stopAll(): void;
}

/** Scratch's dispatch is process-wide: each VM's extension needs its own service name. */
let nextServiceNumber = 1;

export class VmPlayer {
  readonly vm: VirtualMachineLike;
  readonly client: CloudLinkClient;

  /**
   * `vm`: another VM than the npm scratch-vm (TurboWarp's, test/contracts/vms.ts); `WebSocket`: another
   * class than `ws`; `wrtc`: another WebRTC than @roamhq/wrtc (test/helpers/idle-wrtc.ts); `reconnect`:
   * a faster reconnect backoff.
   */
  constructor(
    readonly name: string,
    options: { vm?: VirtualMachineLike; WebSocket?: WebSocketConstructor; wrtc?: object; reconnect?: Partial<ReconnectPolicy> } = {},
  ) {
    this.vm = options.vm ?? new VirtualMachine();
    this.client = new CloudLinkClient({
      WebSocket: options.WebSocket ?? (WebSocket as unknown as WebSocketConstructor),
      wrtc: options.wrtc ?? wrtc,
      keepaliveMs: 0,
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    });
    const extension = createExtension(nodeScratch(this.vm.runtime), this.client);
    this.vm.extensionManager.nextExtensionWorker = nextServiceNumber++;
    const service = this.vm.extensionManager._registerInternalExtension(extension);
    this.vm.extensionManager._loadedExtensions.set('cloudlink5', service);
  }

  async load(project: object, vars: Record<string, string | number> = {}): Promise<void> {
    await this.vm.loadProject(project);
    for (const [name, value] of Object.entries(vars)) this.stageVariable(name).value = value;
    this.vm.start();
  }

  get stage(): ScratchTarget {
    return this.vm.runtime.getTargetForStage()!;
  }

  sprite(name: string): ScratchTarget {
    const target = this.vm.runtime.targets.find((t) => !t.isStage && t.getName() === name);
    if (!target) throw new Error(`no sprite ${name}`);
    return target;
  }

  stageVariable(name: string) {
    const variable = this.stage.lookupVariableByNameAndType(name, '');
    if (!variable) throw new Error(`no stage variable ${name}`);
    return variable;
  }

  value(target: ScratchTarget, name: string, type: '' | 'list' = ''): unknown {
    return target.lookupVariableByNameAndType(name, type)?.value;
  }

  broadcast(message: string): void {
    this.vm.runtime.startHats('event_whenbroadcastreceived', { BROADCAST_OPTION: message });
  }

  /** Resolves once WebRTC has let go of its links: close players all in one turn, then await (disconnectAll). */
  close(): Promise<void> {
    const released = this.client.mesh?.destroy() ?? Promise.resolve();
    this.client.disconnect();
    this.vm.stopAll();
    this.vm.quit?.();
    (this.vm.runtime as unknown as { stop?: () => void }).stop?.();
    return released;
  }
}
