import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** The project root: the nearest directory above this file that holds package.json. */
export function projectRoot(from = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The Python of the project venv (`<root>/.venv`, or `SLUICE_VENV`), checked to exist. */
export function venvPython(): string {
  const venv = process.env.SLUICE_VENV ?? join(projectRoot(), '.venv');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `cannot compile KFP pipelines: no Python at ${python}. Create the project venv (npm run setup installs requirements.txt into <root>/.venv) or point SLUICE_VENV at a venv with kfp installed.`,
    );
  }
  return python;
}

// Imports each pipeline file as its own module (its directory first on sys.path, so it can import
// shared helpers beside it), takes its module-level PIPELINE, and compiles it with KFP's own
// compiler. Caching is off by default so every run executes every step.
const COMPILE_SCRIPT = String.raw`
import importlib.util, json, os, sys, traceback, warnings
warnings.simplefilter('ignore', FutureWarning)
os.environ.setdefault('KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT', 'true')
try:
    from kfp import compiler
except ImportError as e:
    print('kfp is not installed in ' + sys.prefix + ': ' + str(e), file=sys.stderr)
    sys.exit(3)
jobs = json.loads(sys.argv[1])
failed = []
for source, target in jobs:
    try:
        folder = os.path.dirname(source)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = 'kfp_pipeline_' + os.path.splitext(os.path.basename(source))[0]
        spec = importlib.util.spec_from_file_location(name, source)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not hasattr(module, 'PIPELINE'):
            raise ValueError('defines no PIPELINE (the @dsl.pipeline function to compile)')
        compiler.Compiler().compile(pipeline_func=module.PIPELINE, package_path=target)
    except Exception:
        failed.append(source + ':\n' + traceback.format_exc())
if failed:
    print('\n'.join(failed), file=sys.stderr)
    sys.exit(1)
`;

/**
 * Compiles KFP pipeline files (`.py`, each defining `PIPELINE`) with the real kfp SDK, all in one
 * Python process, into `outDir` (a fresh temp dir by default). Returns each compiled YAML's path,
 * keyed by the source's base name without `.py`.
 */
export function compileKfpPipelines(files: string[], outDir = mkdtempSync(join(tmpdir(), 'sluice-kfp-'))): Record<string, string> {
  const python = venvPython();
  const jobs = files.map((file) => {
    const source = resolve(file);
    if (!existsSync(source)) throw new Error(`no pipeline file ${source}`);
    return [source, join(outDir, `${basename(source, '.py')}.yaml`)] as const;
  });
  const result = spawnSync(python, ['-c', COMPILE_SCRIPT, JSON.stringify(jobs)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (result.error) throw new Error(`cannot run ${python}: ${result.error.message}`);
  if (result.status === 3) throw new Error(`cannot compile KFP pipelines: ${result.stderr.trim()} (install requirements.txt into the venv)`);
  if (result.status !== 0) throw new Error(`KFP compilation failed (exit ${result.status}):\n${result.stderr.trim()}`);
  return Object.fromEntries(jobs.map(([source, target]) => [basename(source, '.py'), target]));
}

/** Compiles one pipeline file; returns the YAML's path. */
export function compileKfpPipeline(file: string, outDir?: string): string {
  return Object.values(compileKfpPipelines([file], outDir))[0];
}
