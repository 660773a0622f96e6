import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The Python that local steps run: a standalone copy of the project interpreter's installation
 * whose site-packages are the project venv's packages (scikit-learn, kfp, pip: requirements.txt),
 * under the data dir, owned by root and read-only to steps.
 *
 * Why a copy: a venv is only a pointer to its interpreter's installation, which (pyenv, a
 * checkout under /root) may lie behind a directory the step user cannot enter, and its
 * site-packages are the project's own, which a step must not change. `python -m venv --copies`
 * copies the executable but not the standard library. The system `/usr/bin/python3` may be
 * missing or of another minor version than the compiled packages. Copying the installation
 * works wherever the project venv works, needs no download, and costs about a second: files are
 * hard-linked when the data dir is on the same file system (they are never written through
 * these links; every file Sluice writes here is unlinked first), and copied otherwise.
 */
export interface StepRuntime {
  /** The runtime's prefix: `bin/python3`, `lib/`. */
  dir: string;
  /** Its site-packages, relative to `dir`, e.g. `lib/python3.11/site-packages`. */
  sitePackages: string;
}

/** What the project venv's interpreter says about itself: everything the runtime's identity depends on. */
interface Interpreter {
  version: string;
  basePrefix: string;
  /** The base installation's site-packages, which the copy replaces with the venv's. */
  baseSitePackages: string;
  venvSitePackages: string;
  /** `name-version` of every installed distribution: a changed requirements.txt is a new runtime. */
  distributions: string[];
}

const DESCRIBE = `
import json, os, sys, sysconfig
base = sysconfig.get_paths(vars={'base': sys.base_prefix, 'platbase': sys.base_prefix})['purelib']
venv = sysconfig.get_paths()['purelib']
dists = sorted(d for d in os.listdir(venv) if d.endswith('.dist-info'))
print(json.dumps({'version': sys.version, 'basePrefix': os.path.realpath(sys.base_prefix),
  'baseSitePackages': os.path.realpath(base), 'venvSitePackages': os.path.realpath(venv), 'distributions': dists}))
`;

/**
 * `pip` on PATH for KFP's lightweight components (they check `command -v pip` before
 * `python3 -m pip install`): relocatable, unlike a script whose `#!` names the build directory.
 */
const PIP_SCRIPT = '#!/bin/sh\nexec "$(dirname "$0")/python3" -m pip "$@"\n';

/**
 * The runtime for `venv`'s interpreter and packages under `root` (content-addressed: one
 * directory per interpreter version and package set), built now unless it exists. Built in a
 * temporary directory and renamed into place, so concurrent workers on one data dir never see a
 * half-built runtime (the loser of the race discards its copy).
 */
export async function ensureStepRuntime(venv: string, root: string): Promise<StepRuntime> {
  const python = join(venv, 'bin', 'python3');
  const described = await run(python, ['-c', DESCRIBE]).catch((err: Error) => {
    throw new Error(`cannot run the project's Python ${python} to build the steps' runtime: ${err.message} (run \`npm run setup\`)`, { cause: err });
  });
  const interp = JSON.parse(described.stdout) as Interpreter;
  const key = createHash('sha256').update(JSON.stringify(interp)).digest('hex').slice(0, 16);
  const sitePackages = relative(interp.basePrefix, interp.baseSitePackages);
  if (sitePackages === '' || sitePackages.startsWith('..') || isAbsolute(sitePackages)) {
    throw new Error(`the project's Python keeps its site-packages (${interp.baseSitePackages}) outside its installation (${interp.basePrefix}): the steps' runtime cannot be built from it`);
  }
  const dir = join(root, `python-${key}`);
  if (await stat(join(dir, 'bin', 'python3')).then(() => true, () => false)) return { dir, sitePackages };

  await mkdir(root, { recursive: true, mode: 0o755 });
  await chmod(root, 0o755);
  const building = join(root, `.build-${key}-${randomBytes(6).toString('hex')}`);
  try {
    // The installation's own site-packages (whatever else was installed globally) give way to
    // the project's: never copied, rather than copied and removed. On a file system without a
    // journal, ext4 skips every inode freed in the last minutes when it allocates one, and the
    // thousands of directories of a global site-packages made each later launch's files slow
    // to create (see "Where a step's time goes" in ARCHITECTURE.md).
    await copyTreeExcept(interp.basePrefix, building, sitePackages);
    await copyTree(interp.venvSitePackages, join(building, sitePackages));
    for (const name of ['pip', 'pip3']) {
      const script = join(building, 'bin', name);
      await rm(script, { force: true }); // a hard link to the original: never written through
      await writeFile(script, PIP_SCRIPT, { mode: 0o755 });
    }
    await chmod(building, 0o755);
    await rename(building, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return { dir, sitePackages };
}

/** `from` copied to `to`. */
function copyTree(from: string, to: string): Promise<void> {
  return copyLinked([from], to, [to]);
}

/**
 * `cp -a sources… to`, hard-linking files when both sides share a file system; else, once
 * `made` (what the linking copy may have left) is removed, copying them.
 */
async function copyLinked(sources: string[], to: string, made: string[]): Promise<void> {
  await run('cp', ['-a', '-l', ...sources, to]).catch(async () => {
    await Promise.all(made.map((path) => rm(path, { recursive: true, force: true })));
    await run('cp', ['-a', ...sources, to]);
  });
}

/** `from` copied to `to` as `copyTree` does, except `skip` (a path below `from`), whose parent directories are all that is made of it. */
async function copyTreeExcept(from: string, to: string, skip: string): Promise<void> {
  const [head, ...rest] = skip.split(sep);
  await mkdir(to);
  await chmod(to, (await stat(from)).mode & 0o7777);
  const names = await readdir(from);
  const others = names.filter((name) => name !== head);
  // One `cp` for all of a directory's other entries: the standard library's directory holds hundreds.
  if (others.length > 0) await copyLinked(others.map((name) => join(from, name)), to, others.map((name) => join(to, name)));
  if (rest.length === 0) return;
  if (names.includes(head)) await copyTreeExcept(join(from, head), join(to, head), rest.join(sep));
  else await mkdir(join(to, head, ...rest.slice(0, -1)), { recursive: true });
}

/**
 * Variables that make a step run `runtime`'s Python: its bin/ first on PATH and its lib/ for the
 * interpreter's shared libpython, whose recorded search path (the original prefix) the step user
 * may not be able to enter.
 */
export function runtimeEnv(runtime: StepRuntime, path: string): Record<string, string> {
  return { PATH: `${join(runtime.dir, 'bin')}:${path}`, LD_LIBRARY_PATH: join(runtime.dir, 'lib') };
}
