// Converts a project.json that uses the upstream CL5 extension to CloudLink 5: every block by its
// rule (upstream-rules.ts), stage monitors of reporters, the extension list and URLs. What has no
// equivalent stays as it was and is listed, with the sprite and the script it is in.
import type { CloudlinkInfo } from '../../examples/lib/extension-shape.js';
import { BlockGraph } from './block-graph.js';
import { Step, type StepHost, Unmappable } from './step.js';
import { TargetBlocks } from './target-blocks.js';
import { UPSTREAM } from './upstream-blocks.js';
import { RULES, type Rule, UPSTREAM_ID } from './upstream-rules.js';

export interface Finding {
  /** The sprite (or "Stage"). */
  target: string;
  /** The script and the place in it (BlockGraph.path). */
  where: string;
  /** The block's id in project.json. */
  block: string;
  opcode: string;
  message: string;
}

export interface MigrationReport {
  /** Upstream blocks converted to ours. */
  converted: number;
  /** Upstream blocks deleted because nothing is needed for them here (each with why). */
  removed: Finding[];
  /** Upstream blocks left as they were (each with why and what to do). */
  left: Finding[];
  /** Things to know about converted blocks (an argument dropped, a URL that could not be read). */
  notes: Finding[];
  /** Stage monitors of upstream reporters that were removed. */
  monitorsRemoved: string[];
}

interface ProjectJson {
  targets: { name: string; isStage: boolean; blocks: Record<string, unknown> }[];
  monitors?: { id: string; opcode: string; params?: Record<string, unknown>; spriteName?: string | null }[];
  extensions?: string[];
  extensionURLs?: Record<string, string>;
}

/** What people see on a block, for the report: upstream's text, Scratch's for the usual hats, else the opcode. */
const TEXTS = new Map([
  ...UPSTREAM.blocks.map((b): [string, string] => [`${UPSTREAM_ID}_${b.opcode}`, b.text]),
  ['event_whenflagclicked', 'when green flag clicked'],
  ['event_whenbroadcastreceived', 'when I receive'],
  ['event_whenkeypressed', 'when key pressed'],
  ['event_whenthisspriteclicked', 'when this sprite clicked'],
  ['event_whenstageclicked', 'when stage clicked'],
  ['event_whenbackdropswitchesto', 'when backdrop switches to'],
  ['control_start_as_clone', 'when I start as a clone'],
  ['procedures_definition', 'define'],
]);
const label = (opcode: string) => TEXTS.get(opcode) ?? opcode;
/** The settings a "create connection, then connect" takes into its "connect". */
const BUILDER_SETTINGS = new Set(['set_game_server', 'auth_with_name'].map((o) => `${UPSTREAM_ID}_${o}`));
const isUpstream = (opcode: string) => opcode.startsWith(`${UPSTREAM_ID}_`) && !opcode.startsWith(`${UPSTREAM_ID}_menu_`);
const ruleOf = (opcode: string): Rule | undefined => RULES[opcode.slice(UPSTREAM_ID.length + 1)];

/** Converts `project` in place. `extensionURL` is where the converted project loads CloudLink 5 from. */
export function migrateProject(project: ProjectJson, extension: CloudlinkInfo, extensionURL: string): MigrationReport {
  if (!Array.isArray(project.targets)) throw new Error('not a Scratch 3 project: project.json has no targets');
  const targets = new TargetBlocks(extension);
  const report: MigrationReport = { converted: 0, removed: [], left: [], notes: [], monitorsRemoved: [] };
  const whyLeft = new Map<string, string>();

  for (const target of project.targets) {
    const graph = new BlockGraph(target.blocks ?? {}, label);
    // Removed blocks and notes are reported where the blocks were before anything moved.
    const before = new Map(
      graph
        .ids()
        .filter((id) => isUpstream(graph.block(id).opcode))
        .map((id) => [id, { where: graph.path(id), opcode: graph.block(id).opcode }]),
    );
    const finding = (id: string, message: string, now = false): Finding => ({
      target: target.name,
      ...(now ? { where: graph.path(id), opcode: graph.block(id).opcode } : before.get(id)!),
      block: id,
      message,
    });
    const consumed = new Set<string>();
    const afterwards: (() => void)[] = [];
    const host: StepHost = {
      graph,
      targets,
      note: (id, text) => report.notes.push(finding(id, text)),
      consume: (id) => consumed.add(id),
      later: (action) => afterwards.push(action),
    };

    const order = conversionOrder(graph);
    const insideBuilder = new Set(order.filter((id) => graph.containers(id).some((c) => graph.block(c).opcode === `${UPSTREAM_ID}_connection_builder`)));
    for (const id of order) {
      const block = graph.get(id);
      if (!block || consumed.has(id)) continue;
      const rule = ruleOf(block.opcode);
      if (!rule) {
        whyLeft.set(id, 'not a block of upstream CL5 v1.0.1');
        continue;
      }
      if (rule.kind === 'none' && insideBuilder.has(id) && BUILDER_SETTINGS.has(block.opcode)) {
        whyLeft.set(id, 'the "create connection, then connect" it is in could not be converted (see that block)');
      }
      if (rule.kind === 'removed') {
        report.removed.push(finding(id, rule.why));
        graph.splice(id, []);
        graph.deleteTree(id);
      } else if (rule.kind === 'map') {
        const step = new Step(host, id, insideBuilder.has(id));
        try {
          rule.apply(step);
          step.finish();
          report.converted++;
        } catch (error) {
          if (!(error instanceof Unmappable)) throw error;
          whyLeft.set(id, error.message);
        }
      }
    }
    for (const action of afterwards) action();

    // Whatever upstream block is still here (copies included) is listed where it is now.
    for (const id of graph.ids()) {
      const { opcode } = graph.block(id);
      if (!isUpstream(opcode)) continue;
      const rule = ruleOf(opcode);
      report.left.push(finding(id, whyLeft.get(id) ?? (rule?.kind === 'none' ? rule.why : 'a copy of a block that could not be converted'), true));
    }
  }

  migrateMonitors(project, targets, report);
  useExtension(project, extension.id, extensionURL, report.left.length > 0);
  return report;
}

/**
 * The order blocks are converted in: every "create connection, then connect" first (it takes the
 * settings inside it), then each block after the blocks plugged into it, so a rule that copies an
 * argument copies blocks already converted.
 */
function conversionOrder(graph: BlockGraph): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (first: string | null) => {
    for (const id of graph.stack(first)) {
      // A block reached twice (a broken project) is converted once, and a loop is not followed.
      if (seen.has(id)) return;
      seen.add(id);
      for (const input of Object.values(graph.block(id).inputs)) {
        for (const part of input.slice(1)) if (typeof part === 'string' && graph.get(part)) visit(part);
      }
      order.push(id);
    }
  };
  for (const id of graph.ids()) if (graph.block(id).topLevel) visit(id);
  const upstreamOnly = order.filter((id) => isUpstream(graph.block(id).opcode));
  const builders = upstreamOnly.filter((id) => graph.block(id).opcode === `${UPSTREAM_ID}_connection_builder`);
  return [...builders, ...upstreamOnly.filter((id) => !builders.includes(id))];
}

/** Monitors of argument-less reporters follow their block; the others are removed (a monitor holds no code). */
function migrateMonitors(project: ProjectJson, targets: TargetBlocks, report: MigrationReport): void {
  if (!project.monitors) return;
  project.monitors = project.monitors.filter((monitor) => {
    if (!isUpstream(monitor.opcode)) return true;
    const rule = ruleOf(monitor.opcode);
    if (rule?.kind === 'map' && rule.monitor && targets.monitorable(rule.monitor)) {
      const opcode = targets.full(rule.monitor);
      // A monitor's id is its block's: the opcode (with a sprite's id in front for sprite-specific ones).
      monitor.id = monitor.id.split(monitor.opcode).join(opcode);
      monitor.opcode = opcode;
      return true;
    }
    report.monitorsRemoved.push(label(monitor.opcode));
    return false;
  });
}

/**
 * The project loads CloudLink 5 from `url`. It keeps loading upstream (and its URL) only while
 * upstream blocks are left, so those still load and show; once they are replaced, saving the project
 * in TurboWarp drops the extension by itself.
 */
function useExtension(project: ProjectJson, id: string, url: string, keepUpstream: boolean): void {
  const extensions = (project.extensions ?? []).filter((e) => keepUpstream || e !== UPSTREAM_ID);
  if (!extensions.includes(id)) extensions.push(id);
  project.extensions = extensions;
  const urls = { ...(project.extensionURLs ?? {}) };
  if (!keepUpstream) delete urls[UPSTREAM_ID];
  urls[id] = url;
  project.extensionURLs = urls;
}
