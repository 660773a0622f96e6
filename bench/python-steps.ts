import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { taskLayout } from '../activities/layout';
import { prepareLaunch } from '../activities/prepare-launch';
import { LocalProcessRunner } from '../activities/runners/local-process-runner';
import { PythonEnvs } from '../activities/runners/python-envs';
import type { LaunchSpec } from '../activities/runners/runner';
import { PythonZygotes } from '../activities/runners/zygotes';
import type { TaskActivityInput } from '../activities/types';
import { loadConfig } from '../config/config';
import { parsePipelineDocument } from '../ir/parse';
import { buildStepEnv } from '../worker/step-env';
import { ensureStepRuntime } from '../worker/step-runtime';
import { confineSteps, resolveStepUser } from '../worker/step-user';

/** Milliseconds from `runner.start` to the exit code of a no-op KFP lightweight step, by way of starting it. */
export interface PythonStepsBench {
  /** The warm interpreter: the first step of an environment (the zygote starts and imports kfp), then the median of the next ones. */
  zygoteFirstMs: number;
  zygoteWarmMs: number;
  /** `sh` and a fresh `python3`, the pip preamble skipped (its requirements are installed): with `SLUICE_PYTHON_ZYGOTE=false`. */
  shMs: number;
  /** `sh` running the preamble's `pip install` (found satisfied) first: every lightweight step before this change. */
  shWithPipMs: number;
  /** Steps measured per warm figure. */
  samples: number;
}

const COMPONENT = `
from kfp import compiler, dsl

@dsl.component
def noop():
    pass

@dsl.pipeline(name='noop')
def pipeline():
    noop()

import sys
compiler.Compiler().compile(pipeline, sys.argv[1])
`;

/**
 * The local runner on its own (no workflow, no store): the same no-op component, compiled by the
 * installed kfp, launched as the worker launches it (placeholders resolved, requirements met by
 * `PythonEnvs`, run as the step user under a root worker) through each way of starting it.
 */
export async function benchPythonSteps(samples = 20): Promise<PythonStepsBench> {
  const config = loadConfig();
  const base = mkdtempSync(join(tmpdir(), 'sluice-bench-python-'));
  chmodSync(base, 0o755);
  let zygotes: PythonZygotes | undefined;
  // The runner keeps nothing alive while a step runs (a worker does); alone, this process must.
  const alive = setInterval(() => undefined, 1000);
  try {
    const runtime = await ensureStepRuntime(config.venv, join(base, 'runtime'));
    const identity = resolveStepUser(undefined, config.stepUids);
    const confine = identity && (await confineSteps(identity, join(base, 'data'), config.stepNetwork, [join(base, 'artifacts'), join(base, 'runtime')]));
    const stepEnv = buildStepEnv(runtime, process.env);
    const envs = new PythonEnvs(runtime.dir, join(base, 'runtime', 'envs'), identity?.builder ?? {}, stepEnv);
    writeFileSync(join(base, 'noop.py'), COMPONENT);
    execFileSync(join(config.venv, 'bin', 'python3'), [join(base, 'noop.py'), join(base, 'noop.yaml')], { stdio: 'ignore' });
    const spec = parsePipelineDocument(readFileSync(join(base, 'noop.yaml'), 'utf8')).spec;
    const container = spec.deploymentSpec.executors['exec-noop'].container as TaskActivityInput['container'];
    let n = 0;
    const launch = async (runner: LocalProcessRunner, requirementsMet: boolean): Promise<number> => {
      const runId = `bench-${++n}`;
      const input: TaskActivityInput = {
        runId, runName: runId, pipelineName: 'noop', pipelineRoot: join(base, 'artifacts'), createdAt: new Date().toISOString(),
        taskPath: 'root/noop', displayName: 'noop', componentName: 'comp-noop', container, inputs: { parameters: {}, artifacts: {} }, maxStepAttempts: 1,
      };
      const plan = prepareLaunch(input, { launch: 1, layout: taskLayout(input.pipelineRoot, runId, input.taskPath), launchName: runId, baseEnv: stepEnv });
      for (const path of [...plan.outputPaths, plan.spec.logFile]) mkdirSync(dirname(path), { recursive: true });
      const python = await envs.envFor(plan.spec.argv, plan.spec.logFile, plan.spec.env);
      const spec: LaunchSpec = { ...plan.spec, env: python.env, requirementsInstalled: requirementsMet ? python.installed : undefined };
      const started = performance.now();
      const status = await runner.wait(await runner.start(spec), new AbortController().signal);
      const ms = performance.now() - started;
      if (status.status !== 'exited' || status.exitCode !== 0) throw new Error(`the no-op step ended ${JSON.stringify(status)}: ${readFileSync(spec.logFile, 'utf8')}`);
      return ms;
    };
    const median = async (count: number, one: () => Promise<number>) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) times.push(await one());
      return round(times.sort((a, b) => a - b)[Math.floor(count / 2)]);
    };
    const sh = new LocalProcessRunner({ confine });
    await launch(sh, true); // builds (finds) the environment and warms the page cache for every way
    // A fallback to sh would measure sh: it fails the bench instead.
    zygotes = new PythonZygotes({ python: join(runtime.dir, 'bin', 'python3'), env: stepEnv, max: 1, warn: (message) => { throw new Error(message); } });
    const viaZygote = new LocalProcessRunner({ confine, zygotes });
    const zygoteFirstMs = round(await launch(viaZygote, true));
    return {
      zygoteFirstMs,
      zygoteWarmMs: await median(samples, () => launch(viaZygote, true)),
      shMs: await median(samples, () => launch(sh, true)),
      shWithPipMs: await median(Math.ceil(samples / 4), () => launch(sh, false)),
      samples,
    };
  } finally {
    clearInterval(alive);
    zygotes?.close();
    rmSync(base, { recursive: true, force: true });
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

if (require.main === module) {
  void benchPythonSteps().then((r) => console.log(JSON.stringify(r, null, 2)));
}
