import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, chmod, lchown, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sealTree } from './safe-fs';

const run = promisify(execFile);

/**
 * The arguments of each `python3 -m pip install …` that a KFP lightweight component's `sh -c`
 * script runs before its code (the pinned kfp, then `packages_to_install`), in order; undefined
 * when the command is not such a script or uses a pip option not known to be harmless here, so
 * the step's own pip runs as written (into the step user's site under its launch directory).
 */
export function pipInstallsOf(argv: string[]): string[][] | undefined {
  if (argv[0] !== 'sh' || argv[1] !== '-c' || typeof argv[2] !== 'string') return undefined;
  const installs: string[][] = [];
  for (const match of argv[2].matchAll(/python3 -m pip install((?:[ \t]+(?:'[^']*'|[^\s'"&|;$`\\]+))+)/g)) {
    const args = [...match[1].matchAll(/'([^']*)'|([^\s']+)/g)].map((m) => m[1] ?? m[2]);
    if (!args.every((arg, i) => !arg.startsWith('-') || SAFE_FLAGS.has(arg) || (WITH_VALUE.has(arg) && i + 1 < args.length))) return undefined;
    if (args.some((arg, i) => !arg.startsWith('-') && !WITH_VALUE.has(args[i - 1]) && !/^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*([<>=!~;,\s].*)?$/.test(arg))) return undefined;
    installs.push(args);
  }
  return installs.length ? installs : undefined;
}

/** Options KFP's compiler writes, which choose packages and where from, never where they go. */
const SAFE_FLAGS = new Set(['--quiet', '-q', '--no-warn-script-location', '--no-deps', '--upgrade', '-U', '--pre']);
const WITH_VALUE = new Set(['--index-url', '-i', '--extra-index-url', '--trusted-host', '--find-links', '-f']);

/** Who builds environments: the step user, since building runs code from the packages (setup.py). */
export interface Builder {
  uid?: number;
  gid?: number;
}

/**
 * Per-requirement-set Python environments for local steps, content-addressed by the steps'
 * runtime and the exact pip arguments, built once by the worker and reused:
 *
 * - a set the runtime already satisfies (the `kfp==<version>` KFP's compiler pins, say) is
 *   recorded as an empty environment, found out without an index (`--no-index --dry-run`), so
 *   nothing is downloaded;
 * - otherwise each `pip install` runs in order with `--target` into a temporary directory, as
 *   the step user (building an sdist runs its code, which must not run as root), then the tree is
 *   given to root, made read-only, and renamed into place: steps see a whole environment or none.
 *
 * A lock file per set keeps concurrent workers on one data dir from building it twice; in one
 * worker, concurrent launches share the build in progress. The step then runs with the
 * environment first on `PYTHONPATH`, so its own `pip install` finds every requirement satisfied
 * and changes nothing.
 */
export class PythonEnvs {
  private readonly building = new Map<string, Promise<string>>();

  /**
   * @param runtimeDir the steps' runtime (its `bin/python3` runs pip)
   * @param root where environments live (created 0711: steps may enter one, not list them)
   * @param env the builder's environment: the runtime's PATH and the worker's `PIP_*` settings
   * @param markUsed records that an environment is in use (so that cleaning old ones spares it)
   */
  constructor(
    private readonly runtimeDir: string,
    private readonly root: string,
    private readonly builder: Builder,
    private readonly env: Record<string, string>,
    private readonly markUsed?: (dir: string) => Promise<void>,
  ) {}

  /**
   * `env` with the environment of `argv`'s requirements first on `PYTHONPATH` and `PATH`, built
   * first if need be (pip's output appended to `logFile`); `env` itself for a command without
   * requirements, or whose requirements the runtime satisfies. `installed` is set when `argv` has
   * requirements, all of them met now (by `lib`, when the runtime alone does not meet them).
   * @throws Error with pip's output when the requirements cannot be installed.
   */
  async envFor(argv: string[], logFile: string, env: Record<string, string>): Promise<{ env: Record<string, string>; installed?: { lib?: string } }> {
    const installs = pipInstallsOf(argv);
    if (!installs) return { env };
    const key = this.keyOf(installs);
    let pending = this.building.get(key);
    if (!pending) {
      pending = this.ensure(key, installs, logFile);
      this.building.set(key, pending);
      void pending.catch(() => this.building.delete(key));
    }
    const dir = await pending;
    await this.markUsed?.(dir);
    const lib = join(dir, 'lib');
    if (!(await exists(lib))) return { env, installed: {} };
    const prepend = (name: string, dir: string) => (env[name] ? `${dir}:${env[name]}` : dir);
    return { env: { ...env, PYTHONPATH: prepend('PYTHONPATH', lib), PATH: prepend('PATH', join(lib, 'bin')) }, installed: { lib } };
  }

  /** Whether `envFor(argv)` can answer without building anything (one `stat`, so a caller may ask before it commits to a launch). */
  isBuilt(argv: string[]): boolean {
    const installs = pipInstallsOf(argv);
    return !installs || existsSync(join(this.root, this.keyOf(installs)));
  }

  private keyOf(installs: string[][]): string {
    return createHash('sha256').update(JSON.stringify({ runtime: this.runtimeDir, installs })).digest('hex').slice(0, 24);
  }

  private async ensure(key: string, installs: string[][], logFile: string): Promise<string> {
    const dir = join(this.root, key);
    if (await exists(dir)) return dir;
    await mkdir(this.root, { recursive: true, mode: 0o711 });
    await chmod(this.root, 0o711);
    const lock = join(this.root, `${key}.lock`);
    while (!(await takeLock(lock))) {
      if (await exists(dir)) return dir;
      await sleep(500);
    }
    try {
      if (await exists(dir)) return dir;
      await this.build(dir, installs, logFile);
      return dir;
    } finally {
      await rm(lock, { force: true });
    }
  }

  private async build(dir: string, installs: string[][], logFile: string): Promise<void> {
    const work = join(this.root, `.build-${randomBytes(8).toString('hex')}`);
    const env = join(work, 'env');
    const tmp = join(work, 'tmp');
    await mkdir(work, { mode: 0o755 });
    try {
      for (const d of [env, tmp]) {
        await mkdir(d, { mode: 0o700 });
        if (this.builder.uid !== undefined) await lchown(d, this.builder.uid, this.builder.gid ?? this.builder.uid);
      }
      const pip = (args: string[]) => run(join(this.runtimeDir, 'bin', 'python3'), ['-m', 'pip', 'install', ...args], {
        // No shared cache: the step user could plant a wheel in it for another pipeline's build.
        // "0" is how pip's environment spells --no-build-isolation: an sdist (kfp 2.9.0) builds
        // with the runtime's setuptools instead of downloading one.
        env: { ...this.env, HOME: tmp, TMPDIR: tmp, PIP_NO_CACHE_DIR: '1', PIP_NO_INPUT: '1', PIP_NO_BUILD_ISOLATION: '0' },
        uid: this.builder.uid,
        gid: this.builder.gid,
        maxBuffer: 64 * 1024 * 1024,
      });
      if (!(await this.satisfied(installs, pip))) {
        await appendFile(logFile, `sluice: building a Python environment for ${installs.map((a) => a.join(' ')).join(' && ')}\n`);
        for (const args of installs) {
          const out = await pip(['--target', join(env, 'lib'), ...args]).catch((err: Error & { stdout?: string; stderr?: string }) => {
            throw new Error(`pip install ${args.join(' ')} failed: ${(err.stderr || err.message).trim()}`, { cause: err });
          });
          await appendFile(logFile, out.stdout + out.stderr);
        }
      }
      await sealTree(env);
      await rename(env, dir);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** Whether the runtime already has every requirement, asked of pip without any index. */
  private async satisfied(installs: string[][], pip: (args: string[]) => Promise<{ stdout: string }>): Promise<boolean> {
    for (const args of installs) {
      const report = await pip(['--dry-run', '--no-index', '--quiet', '--report', '-', ...args]).catch(() => undefined);
      if (!report || (JSON.parse(report.stdout) as { install: unknown[] }).install.length > 0) return false;
    }
    return true;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * Creates `lock` holding this process's pid; false when another live process holds it. A lock
 * left by a dead process (a worker killed mid-build) is taken over.
 */
async function takeLock(lock: string): Promise<boolean> {
  try {
    const file = await open(lock, 'wx', 0o600);
    await file.writeFile(String(process.pid));
    await file.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
  if (holder > 0 && (await exists(`/proc/${holder}`))) return false;
  // No pid yet may be a holder between creating the file and writing to it: stale only when old.
  const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? 0);
  if (!(holder > 0) && age < 10_000) return false;
  await rm(lock, { force: true });
  return false;
}
