// The connection settings a project needs to work again when it is reopened (server URL, game id,
// STUN/TURN list, encryption, keepalive, relay only), kept in the project itself: TurboWarp saves
// `runtime.extensionStorage[<extension id>]` into project.json (only for extensions the project
// uses) and puts it back when the project loads, before PROJECT_LOADED. So a shared .sb3 connects
// with what its author set, even if the author set it by clicking blocks in the editor.
// The login token is not saved (it is a player's secret). scratch-vm (npm) has no extensionStorage:
// there the settings live in memory only.
import type { IceServer } from '../src/client/api.js';
import { EXTENSION_ID } from './hats.js';
import type { ScratchRuntime } from './scratch.js';

export interface ConnectionSettings {
  /** The server last connected to: "connect" with an empty URL uses it. */
  url: string;
  ugi: string;
  /** null: the project never set a list (the default STUN servers apply). */
  iceServers: IceServer[] | null;
  encryption: boolean;
  keepaliveSeconds: number;
  relayOnly: boolean;
}

export const DEFAULT_SETTINGS: Readonly<ConnectionSettings> = {
  url: '',
  ugi: 'default',
  iceServers: null,
  encryption: false,
  keepaliveSeconds: 20,
  relayOnly: false,
};

type StoringRuntime = ScratchRuntime & { extensionStorage?: Record<string, unknown> };

export class ProjectSettings {
  private current: ConnectionSettings;

  /** `restored` runs with the settings a newly loaded project brings (its own, or the defaults). */
  constructor(
    private readonly runtime: StoringRuntime,
    private readonly restored: (settings: Readonly<ConnectionSettings>) => void,
  ) {
    this.current = this.read();
    runtime.on?.('PROJECT_LOADED', () => {
      this.current = this.read();
      this.restored(this.current);
    });
  }

  get(): Readonly<ConnectionSettings> {
    return this.current;
  }

  update(change: Partial<ConnectionSettings>): void {
    this.current = { ...this.current, ...change };
    const storage = this.runtime.extensionStorage;
    if (!storage) return;
    // Only what differs from the defaults, so an untouched project saves nothing.
    const changed = changedFromDefaults(this.current);
    if (Object.keys(changed).length > 0) storage[EXTENSION_ID] = changed;
    else delete storage[EXTENSION_ID];
  }

  /** What the project holds, each field checked (a hand-edited project.json may hold anything). */
  private read(): ConnectionSettings {
    const saved = this.runtime.extensionStorage?.[EXTENSION_ID] as Record<string, unknown> | undefined;
    const settings = { ...DEFAULT_SETTINGS } as Record<string, unknown>;
    for (const [key, valid] of Object.entries(VALID)) if (valid(saved?.[key])) settings[key] = saved![key];
    return settings as unknown as ConnectionSettings;
  }
}

const isString = (v: unknown) => typeof v === 'string';
const isBoolean = (v: unknown) => typeof v === 'boolean';
const VALID: Record<keyof ConnectionSettings, (value: unknown) => boolean> = {
  url: isString,
  ugi: (v) => isString(v) && v !== '',
  iceServers: (v) => v === null || (Array.isArray(v) && v.every(isIceServer)),
  encryption: isBoolean,
  keepaliveSeconds: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  relayOnly: isBoolean,
};

function changedFromDefaults(settings: ConnectionSettings): Partial<ConnectionSettings> {
  const changed: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof ConnectionSettings)[])
    if (JSON.stringify(settings[key]) !== JSON.stringify(DEFAULT_SETTINGS[key])) changed[key] = settings[key];
  return changed as Partial<ConnectionSettings>;
}

function isIceServer(value: unknown): value is IceServer {
  const { urls, username = '', credential = '' } = (value ?? {}) as Record<string, unknown>;
  return (isString(urls) || (Array.isArray(urls) && urls.every(isString))) && isString(username) && isString(credential);
}
