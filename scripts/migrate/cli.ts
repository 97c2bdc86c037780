// `node scripts/migrate-upstream.mjs in.sb3 out.sb3 [--url URL]`: the .sb3 in, the report out.
// Exit code 0: every upstream block converted; 2: some were left as they were (listed); 1: an error.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_EXTENSION_URL } from '../../examples/lib/define.js';
import { extensionFileDataURL } from '../../examples/lib/embed.js';
import { cloudlinkInfo } from '../../examples/lib/extension-shape.js';
import { zip } from '../../examples/lib/sb3.js';
import { readZip } from '../../examples/lib/unzip.js';
import { type Finding, migrateProject } from './migrate.js';
import { UPSTREAM_ID } from './upstream-rules.js';

const USAGE = `usage: node scripts/migrate-upstream.mjs in.sb3 out.sb3 [--url URL | --embed [--extension FILE]]
  Converts a project made with the upstream CL5 extension (${UPSTREAM_ID}) to CloudLink 5.
  --url URL         where the converted project loads CloudLink 5 from (default ${DEFAULT_EXTENSION_URL}, what \`npm start\` serves)
  --embed           put the extension inside the project instead (a data: URL, as TurboWarp saves an extension loaded from a file)
  --extension FILE  what --embed puts in (default dist/cloudlink5.js)`;

const line = (f: Finding) => `  ${f.target} › ${f.where}\n    [${f.opcode}, block id "${f.block}"] ${f.message}`;

export function main(argv: string[], out: (text: string) => void = console.log): number {
  let input: string;
  let output: string;
  let url: string;
  /** The extension file to put inside the project (--embed). */
  let embed: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { url: { type: 'string' }, embed: { type: 'boolean' }, extension: { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true,
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    if (positionals.length !== 2) throw new Error('give the project to convert and the file to write');
    [input, output] = positionals as [string, string];
    if (values.embed && values.url) throw new Error('give --url or --embed, not both');
    if (values.extension && !values.embed) throw new Error('--extension goes with --embed');
    embed = values.embed ? (values.extension ?? fileURLToPath(new URL('../../dist/cloudlink5.js', import.meta.url))) : undefined;
    url = values.url ?? DEFAULT_EXTENSION_URL;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 1;
  }

  try {
    if (embed) {
      if (!existsSync(embed)) throw new Error(`${embed} not found: run npm run build first`);
      url = extensionFileDataURL(embed);
    }
    const files = readZip(readFileSync(input));
    const projectFile = files.find((f) => f.name === 'project.json');
    if (!projectFile) throw new Error(`${input} has no project.json: is it a Scratch 3 project (.sb3)?`);
    const text = projectFile.data.toString('utf8');
    if (!text.includes(`"${UPSTREAM_ID}_`)) throw new Error(`${input} uses no block of the upstream CL5 extension (${UPSTREAM_ID}): nothing to convert`);
    const project = JSON.parse(text);

    const report = migrateProject(project, cloudlinkInfo(), url);
    projectFile.data = Buffer.from(JSON.stringify(project));
    writeFileSync(output, zip(files));

    const from = url.startsWith('data:') ? 'has the extension inside' : `loads the extension from ${url}`;
    out(`Converted ${report.converted} upstream CL5 block(s) to CloudLink 5: wrote ${output} (it ${from}).`);
    if (report.removed.length) out(`\nRemoved ${report.removed.length} block(s) that nothing needs here:\n${report.removed.map(line).join('\n')}`);
    if (report.notes.length) out(`\nNotes on converted blocks:\n${report.notes.map(line).join('\n')}`);
    if (report.monitorsRemoved.length) out(`\nRemoved stage monitors (no reporter here to show): ${report.monitorsRemoved.map((m) => `"${m}"`).join(', ')}`);
    if (report.left.length) {
      out(
        `\nCOULD NOT CONVERT ${report.left.length} block(s): they are left as they were, and the project still loads upstream CL5 for them.` +
          ' Replace each as it says (docs/migrating.md); once none is left, saving the project in TurboWarp drops upstream CL5.\n' +
          report.left.map(line).join('\n'),
      );
    }
    out(`\nSummary: ${report.converted} converted, ${report.removed.length} removed, ${report.left.length} not converted.`);
    return report.left.length ? 2 : 0;
  } catch (error) {
    console.error(`migrate-upstream: ${(error as Error).message}`);
    return 1;
  }
}
