#!/usr/bin/env node
// Converts a Scratch project made with the upstream CL5 extension (cloudlink-omega/cl5, id
// `mikedevcl5`) to CloudLink 5, block by block; lists every block it could not convert with its
// sprite and script. The mapping is docs/migrating.md; the code is scripts/migrate/.
//
//   node scripts/migrate-upstream.mjs in.sb3 out.sb3 [--url URL | --embed [--extension FILE]]
//     --url URL         where the converted project loads CloudLink 5 from
//                       (default http://localhost:3000/cloudlink5.js, where `npm start` serves it)
//     --embed           the extension inside the project (a data: URL) instead
//     --extension FILE  what --embed puts in (default dist/cloudlink5.js)
//   exit code 0: everything converted; 2: some blocks left as they were (listed); 1: an error
import { importTs } from './import-ts.mjs';

const cli = await importTs('scripts/migrate/cli.ts');
process.exitCode = cli.main(process.argv.slice(2));
