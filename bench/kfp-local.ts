import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config/config';
import { parsePipelineDocument } from '../ir/parse';
import type { PipelineSpec } from '../ir/types';
import type { DevStack } from '../stack/dev-stack';
import { median, round, runAloneOnStack, runToEnd, saveResults, type RunToEnd } from './bench-stack';

/** Defines the pipelines once with the kfp SDK: compiles them for Sluice and runs them with kfp.local. */
export const KFP_LOCAL_SCRIPT = join(PROJECT_ROOT, 'bench', 'kfp_local_pipelines.py');

export interface KfpLocalSizes {
  chainSteps: number;
  fanoutWidth: number;
}

/** One pipeline through both: wall times and how many times faster Sluice was (kfp.local ÷ Sluice). */
export interface Comparison {
  kfpLocalMs: number;
  sluiceMs: number;
  ratio: number;
  /** Median start-to-exit of Sluice's launches, as its runner saw them: what the step's own process costs. */
  sluiceStepMedianMs: number;
}

export interface KfpLocalBench extends KfpLocalSizes {
  chain: Comparison;
  fanout: Comparison;
  /** `pip freeze --all` of the venv kfp.local ran in was the same after it as before (else the bench fails). */
  venvUnchanged: true;
  /** The host's 1-minute load average at the start and the end: other work on the machine skews both sides, unevenly. */
  loadAverage: { start: number; end: number };
}

type PipelineName = 'warmup' | 'chain' | 'fanout';
const PIPELINES: PipelineName[] = ['warmup', 'chain', 'fanout'];

/** Compiles the bench's pipelines with KFP's own compiler into `outDir`; returns them parsed as the API parses uploads. */
export function compileKfpLocalPipelines(python: string, sizes: KfpLocalSizes, outDir = mkdtempSync(join(tmpdir(), 'sluice-bench-kfp-'))): Record<PipelineName, PipelineSpec> {
  const result = spawnSync(python, [KFP_LOCAL_SCRIPT, 'compile', outDir, String(sizes.chainSteps), String(sizes.fanoutWidth)], { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`cannot run ${python}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`compiling the kfp.local bench pipelines failed (exit ${result.status}):\n${result.stderr.trim()}`);
  return Object.fromEntries(PIPELINES.map((name) => [name, parsePipelineDocument(readFileSync(join(outDir, `${name}.yaml`), 'utf8')).spec])) as Record<PipelineName, PipelineSpec>;
}

/**
 * The same pipelines (a chain of `chainSteps` and a ParallelFor of `fanoutWidth` lightweight
 * Python no-op steps, compiled from one source) through Sluice's API on `stack` (the normal,
 * durable engine) and then through `kfp.local.SubprocessRunner(use_venv=False)` in the venv's
 * Python, each after a one-step warm-up. Fails unless every step ran on both sides and the venv's
 * packages are unchanged by kfp.local (whose steps `pip install kfp` into the interpreter they run in).
 */
export async function benchKfpLocal(stack: DevStack, run: RunToEnd, opts: KfpLocalSizes & { venv: string; log: (line: string) => void }): Promise<KfpLocalBench> {
  const loadAtStart = loadavg()[0];
  const python = join(opts.venv, 'bin', 'python');
  const work = mkdtempSync(join(tmpdir(), 'sluice-bench-kfp-'));
  const specs = compileKfpLocalPipelines(python, opts, work);

  const sluice = {} as Record<PipelineName, { ms: number; stepMedianMs: number }>;
  for (const name of PIPELINES) {
    const { runId, wallMs } = await run(stack, specs[name]);
    const launched = (await stack.store.listTaskAttempts(runId)).filter((a) => a.state === 'SUCCEEDED');
    if (launched.length !== stepsOf(name, opts)) throw new Error(`Sluice ran ${launched.length} of ${stepsOf(name, opts)} steps of ${name}`);
    sluice[name] = { ms: wallMs, stepMedianMs: median(launched.map((a) => (a.finishedAt?.getTime() ?? 0) - a.startedAt.getTime())) };
  }
  opts.log(`kfp.local bench: Sluice done (chain ${Math.round(sluice.chain.ms)} ms, fan-out ${Math.round(sluice.fanout.ms)} ms); now kfp.local`);

  const before = pipFreeze(python);
  const kfpLocal = await runKfpLocal(python, opts, work);
  const after = pipFreeze(python);
  if (after !== before) throw new Error(`kfp.local changed the packages of ${opts.venv}:\n${lineDiff(before, after)}`);
  for (const name of PIPELINES) {
    if (kfpLocal[name].steps !== stepsOf(name, opts)) throw new Error(`kfp.local ran ${kfpLocal[name].steps} of ${stepsOf(name, opts)} steps of ${name}`);
  }

  const compare = (name: PipelineName): Comparison => ({
    kfpLocalMs: Math.round(kfpLocal[name].ms),
    sluiceMs: Math.round(sluice[name].ms),
    ratio: round(kfpLocal[name].ms / sluice[name].ms),
    sluiceStepMedianMs: sluice[name].stepMedianMs,
  });
  return {
    chainSteps: opts.chainSteps,
    fanoutWidth: opts.fanoutWidth,
    chain: compare('chain'),
    fanout: compare('fanout'),
    venvUnchanged: true,
    loadAverage: { start: round(loadAtStart), end: round(loadavg()[0]) },
  };
}


function stepsOf(name: PipelineName, sizes: KfpLocalSizes): number {
  return name === 'warmup' ? 1 : name === 'chain' ? sizes.chainSteps : sizes.fanoutWidth;
}

/**
 * Runs the pipelines with kfp.local in a child process (asynchronously: this process's event
 * loop runs Sluice's worker). Its logs go to a file whose end is shown if it fails.
 */
async function runKfpLocal(python: string, sizes: KfpLocalSizes, work: string): Promise<Record<PipelineName, { ms: number; steps: number }>> {
  const root = join(work, 'kfp-local-root');
  mkdirSync(root);
  const resultFile = join(work, 'kfp-local-result.json');
  const logFile = join(work, 'kfp-local.log');
  const logFd = openSync(logFile, 'w');
  try {
    const child = spawn(python, [KFP_LOCAL_SCRIPT, 'run', root, String(sizes.chainSteps), String(sizes.fanoutWidth), resultFile], {
      cwd: work,
      stdio: ['ignore', logFd, logFd],
      // The steps' `pip install kfp==<this kfp>` is then satisfied or fails; it can never fetch a
      // package into the venv (the freeze comparison would catch it, after the fact).
      env: { ...process.env, PIP_NO_INDEX: '1' },
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`kfp.local ended with ${code}; the end of ${logFile}:\n${tail(readFileSync(logFile, 'utf8'), 40)}`);
  } finally {
    closeSync(logFd);
  }
  return JSON.parse(readFileSync(resultFile, 'utf8')) as Record<PipelineName, { ms: number; steps: number }>;
}

export function pipFreeze(python: string): string {
  const result = spawnSync(python, ['-m', 'pip', 'freeze', '--all'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
  if (result.status !== 0) throw new Error(`pip freeze in ${python} failed: ${result.stderr}`);
  return result.stdout;
}

function lineDiff(before: string, after: string): string {
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  return [...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`), ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`)].join('\n');
}

const tail = (text: string, lines: number) => text.split('\n').slice(-lines).join('\n');

/** The comparison as rows of the bench's table. */
export function kfpLocalRows(k: KfpLocalBench): [string, string][] {
  const pipelines: [string, Comparison][] = [[`${k.chainSteps}-step chain`, k.chain], [`${k.fanoutWidth}-wide fan-out`, k.fanout]];
  return [
    ...pipelines.map(([label, c]): [string, string] => [
      `lightweight Python ${label}: kfp.local / Sluice`,
      `${c.kfpLocalMs} / ${c.sluiceMs} ms: ratio ${c.ratio} (target ≥ 10); Sluice's median step ${c.sluiceStepMedianMs} ms`,
    ]),
    ['  load average (1 min) at start / end', `${k.loadAverage.start} / ${k.loadAverage.end}`],
  ];
}

/** `node dist/bench/kfp-local.js`: this comparison alone, on a fresh stack; saved like `npm run bench`'s results. */
if (require.main === module) {
  runAloneOnStack(async (stack, config) => {
    const results = { date: new Date().toISOString(), kfpLocal: await benchKfpLocal(stack, runToEnd, { chainSteps: 20, fanoutWidth: 50, venv: config.venv, log: (line) => console.error(`bench: ${line}`) }) };
    for (const [figure, value] of kfpLocalRows(results.kfpLocal)) console.log(`${figure}: ${value}`);
    console.log(`\nwritten to ${saveResults('kfp-local-', results)}`);
  });
}
