// The readable source format for example projects: one object per project naming its variables,
// lists and scripts per target, compiled by the builder (project.ts) to project.json / .sb3.
//
//   export default defineProject({
//     name: 'hello',
//     stage: {
//       variables: { greeting: '' },
//       lists: { log: [] },
//       scripts: [[whenFlag(), setVar('greeting', 'hi'), addToList('log', variable('greeting'))]],
//     },
//     sprites: { Player: { variables: { hp: 100 }, scripts: [[whenReceived('hit'), changeVar('hp', -10)]] } },
//   });
//
// A script is a list of blocks, the first usually a hat. Blocks come from the helpers in
// project.ts (setVar, whenReceived, repeat, …), `block(opcode, inputs, fields)` for anything
// else, and `cl5(opcode, inputs)` for CloudLink 5's blocks (opcode `cloudlink5_<opcode>`).
import { block, ProjectBuilder, type Arg, type Block, type ExtensionShape } from './project.js';

export interface TargetSource {
  variables?: Record<string, string | number>;
  lists?: Record<string, (string | number)[]>;
  scripts?: Block[][];
}

export interface ProjectSource {
  /** The output file's name, without .sb3. */
  name: string;
  /** A line or two on what the project shows (kept in the source, not in the file). */
  description?: string;
  /** The extension the project uses, if any ('cloudlink5', or a shape read from another one). */
  extension?: 'cloudlink5' | ExtensionShape;
  stage?: TargetSource;
  sprites?: Record<string, TargetSource>;
  /** Stage variables and lists shown on the stage. */
  monitors?: string[];
}

/** Where the example .sb3 files say the extension comes from: what `npm start` serves. */
export const DEFAULT_EXTENSION_URL = 'http://localhost:3000/cloudlink5.js';

export const defineProject = (source: ProjectSource): ProjectSource => source;

/** A CloudLink 5 block: `cl5('connect', { URL: 'ws://…', USERNAME: 'me' })`. */
export const cl5 = (opcode: string, args: Record<string, Arg> = {}): Block => block(`cloudlink5_${opcode}`, args);

/** Compiles a source to a builder; `shape` is the extension's block shapes when it uses one. */
export function buildProject(source: ProjectSource, shape?: ExtensionShape): ProjectBuilder {
  const extension = typeof source.extension === 'object' ? source.extension : shape;
  if (source.extension && !extension) throw new Error(`${source.name}: the ${source.extension} block shapes are needed`);
  const project = new ProjectBuilder(extension);
  const targets: [ReturnType<ProjectBuilder['sprite']>, TargetSource][] = [[project.stage, source.stage ?? {}]];
  for (const [name, sprite] of Object.entries(source.sprites ?? {})) targets.push([project.sprite(name), sprite]);
  // Declare every variable first: scripts on a sprite may use the stage's.
  for (const [target, spec] of targets) {
    for (const [name, value] of Object.entries(spec.variables ?? {})) target.variable(name, value);
    for (const [name, items] of Object.entries(spec.lists ?? {})) target.list(name, items);
  }
  for (const [target, spec] of targets) for (const [hat, ...body] of spec.scripts ?? []) if (hat) target.script(hat, ...body);
  for (const name of source.monitors ?? []) project.monitor(name);
  return project;
}
