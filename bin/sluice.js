#!/usr/bin/env node
'use strict';
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
