// compose.yaml as `docker compose` would see it for the tests: read with small-yaml.ts, then every string
// interpolated from an environment the way Compose does it: $$ is a literal $, $NAME and ${NAME},
// ${NAME:-default} (unset or empty) / ${NAME-default} (unset), ${NAME:?message} / ${NAME?message} (required).
import { readFileSync } from 'node:fs';
import { parseYaml, type YamlMap, type YamlValue } from './small-yaml.js';

export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$(\$|\{([A-Za-z_]\w*)(?:(:?)([-?])([^}]*))?\}|([A-Za-z_]\w*))/g, (_whole, dollar, braced, colon, kind, arg, bare) => {
    if (dollar === '$') return '$';
    const name = braced ?? bare;
    const value = env[name];
    const missing = value === undefined || (colon === ':' && value === '');
    if (kind === '-') return missing ? arg : value;
    if (kind === '?') {
      if (missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
      return value;
    }
    return value ?? '';
  });
}

function interpolateAll(value: YamlValue, env: Record<string, string | undefined>): YamlValue {
  if (typeof value === 'string') return interpolate(value, env);
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]));
}

export interface ComposeService {
  build?: string;
  image?: string;
  environment?: Record<string, string>;
  command?: string[];
  ports?: string[];
  network_mode?: string;
  depends_on?: YamlMap;
  healthcheck?: YamlMap;
  [key: string]: YamlValue | undefined;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
}

/** The compose file, interpolated from `env` (throws, like Compose, when a required variable is missing). */
export function readCompose(file: string, env: Record<string, string | undefined>): ComposeFile {
  const parsed = interpolateAll(parseYaml(readFileSync(file, 'utf8')), env) as YamlMap;
  if (!parsed.services || typeof parsed.services !== 'object' || Array.isArray(parsed.services)) throw new Error(`${file}: no services`);
  return parsed as unknown as ComposeFile;
}
