// A Dockerfile read into its stages and instructions, for the tests that check what the image would
// hold and run (there is no container engine here): comments and blank lines dropped, `\` continuations
// joined, JSON (exec form) arguments parsed, and .dockerignore applied to the build context.
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export function readDockerfile(file: string): Stage[] {
  const stages: Stage[] = [];
  const raw = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < raw.length; i++) {
    const line = i + 1;
    let text = raw[i].trim();
    if (text === '' || text.startsWith('#')) continue;
    while (text.endsWith('\\') && i + 1 < raw.length) {
      const next = raw[++i].trim();
      text = text.slice(0, -1).trimEnd() + (next.startsWith('#') ? '' : ` ${next}`);
    }
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(text) as RegExpExecArray;
    if (keyword.toUpperCase() === 'FROM') {
      const [from, as, name] = args.split(/\s+/);
      stages.push({ from, ...(as?.toUpperCase() === 'AS' ? { name } : {}), instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`${file}:${line}: ${keyword} before FROM`);
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args, line });
    }
  }
  return stages;
}

export const instructions = (stage: Stage, keyword: string): Instruction[] => stage.instructions.filter((i) => i.keyword === keyword);

/** The exec (JSON array) form of CMD/ENTRYPOINT/HEALTHCHECK CMD; throws for the shell form. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec form: ${args}`);
  return parsed;
}

/** `--flag=value` options in front of an instruction's arguments, and the rest. */
export function options(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)=(\S+)\s+/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
    flags[m[1]] = m[2];
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** ENV in its `KEY=value KEY2=value2` form (unquoted values). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of instructions(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`ENV: only KEY=value pairs are read here: ${args}`);
      env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

export interface Copy {
  from?: string;
  sources: string[];
  destination: string;
}

export function copies(stage: Stage): Copy[] {
  return instructions(stage, 'COPY').map(({ args }) => {
    const { flags, rest } = options(args);
    const parts = rest.split(/\s+/);
    return { ...(flags.from ? { from: flags.from } : {}), sources: parts.slice(0, -1), destination: parts.at(-1)! };
  });
}

/** Whether .dockerignore's patterns leave `path` (relative to the context) in the build context. */
export function inContext(ignoreFile: string, path: string): boolean {
  const patterns = readFileSync(ignoreFile, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const glob = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replaceAll('**', '\0')
        .replaceAll('*', '[^/]*')
        .replaceAll('?', '[^/]')
        .replaceAll('\0', '.*')}$`,
    );
  // A pattern matches the path or a folder above it; the last pattern that matches decides.
  const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let included = true;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    const re = glob((negated ? line.slice(1) : line).replace(/^\//, ''));
    if (negated ? re.test(path) : prefixes.some((p) => re.test(p))) included = negated;
  }
  return included;
}
