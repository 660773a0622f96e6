import { delimiter, join } from 'node:path';

/** Variables a step inherits from the worker; everything else (credentials, DATABASE_URL) stays out. */
const PASSED = ['HOME', 'LANG', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL'];
const PASSED_PREFIXES = ['LC_', 'OPENBLAS_', 'OMP_', 'MKL_'];

/**
 * The base environment of every local step: a minimal copy of the worker's, with the project
 * venv's bin/ first on PATH so that `python3` in a step finds the installed packages, and pip's
 * download cache shared between launches (each launch installs into its own directory, see
 * `prepareLaunch`, so the cache is what keeps KFP's per-step `pip install` fast).
 */
export function buildStepEnv(venv: string, env: NodeJS.ProcessEnv, pipCacheDir?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (PASSED.includes(name) || PASSED_PREFIXES.some((p) => name.startsWith(p))) out[name] = value;
  }
  out.PATH = [join(venv, 'bin'), env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(delimiter);
  out.VIRTUAL_ENV = venv;
  // Step output reaches the task log as it is printed, not when a buffer fills.
  out.PYTHONUNBUFFERED = '1';
  if (pipCacheDir) out.PIP_CACHE_DIR = pipCacheDir;
  out.PIP_DISABLE_PIP_VERSION_CHECK = '1';
  return out;
}
