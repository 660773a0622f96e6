// Bundles the workflow code once at build time, so a worker starts in milliseconds instead of
// spending seconds in webpack. The worker falls back to bundling at start when this is missing.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { bundleSluiceWorkflows } = require(join(root, 'dist', 'worker', 'workflow-bundle.js'));

const { code } = await bundleSluiceWorkflows(quiet());
writeFileSync(join(root, 'dist', 'workflow-bundle.js'), code);

function quiet() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
}
