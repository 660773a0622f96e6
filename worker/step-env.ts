import type { StepRuntime } from './step-runtime';
import { runtimeEnv } from './step-runtime';

/** Variables a step inherits from the worker; everything else (credentials, DATABASE_URL) stays out. */
const PASSED = ['HOME', 'LANG', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL'];
const PASSED_PREFIXES = ['LC_', 'OPENBLAS_', 'OMP_', 'MKL_'];

/**
 * The base environment of every local step: a minimal copy of the worker's, with the steps'
 * runtime (`step-runtime.ts`) first on PATH so that `python3` in a step finds the project's
 * packages. The runtime is read-only to steps: packages a lightweight component asks for come
 * from an environment the worker builds for its requirements (`python-envs.ts`).
 */
export function buildStepEnv(runtime: StepRuntime, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (PASSED.includes(name) || PASSED_PREFIXES.some((p) => name.startsWith(p))) out[name] = value;
  }
  Object.assign(out, runtimeEnv(runtime, env.PATH ?? '/usr/local/bin:/usr/bin:/bin'));
  // Step output reaches the task log as it is printed, not when a buffer fills.
  out.PYTHONUNBUFFERED = '1';
  out.PIP_DISABLE_PIP_VERSION_CHECK = '1';
  return out;
}
