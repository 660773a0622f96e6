#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-old-space-size=1536
'use strict';
// The heap limit is set for the heap's growth, not its size: V8 lets a heap whose limit is 2 GiB or
// more grow to four times what survived its last full collection before collecting again, and to
// under twice that below (1.8 at 1.5 GiB). On a machine with 16 GiB or more Node's default limit
// is 4 GiB, and `sluice dev` under a 10,000-step loop held ~1 GiB where it needs ~100 MiB live.
// It applies to the workflow thread too (V8 flags are the process's). Run it as
// `node --max-old-space-size=<MiB> bin/sluice.js` to choose another; NODE_OPTIONS does not
// override a flag given here.
// MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (Temporal's core, libuv's pool) an
// arena of its own, and the worker's Node process held ~100 MiB more of them under a 10,000-step
// loop than with two (710-750 against 640 MiB RSS, measured): two serve its allocations as well.
// The `sluice` command. The CLI is TypeScript compiled to dist/; without a build there is nothing
// to run, so say how to make one (exit 2: the setup, not the run, is what is missing).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error(`sluice is not built (${entry} is missing). Run \`npm run setup\` in ${join(__dirname, '..')} to build it.`);
  process.exit(2);
}
require(entry).main();
