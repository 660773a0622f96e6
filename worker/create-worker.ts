import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { LocalProcessRunner } from '../activities/runners/local-process-runner';
import type { Runner } from '../activities/runners/runner';
import { PROJECT_ROOT, type SluiceConfig } from '../config/config';
import type { MetadataStore } from '../store/types';
import { buildStepEnv } from './step-env';

/** Workflow code bundled once by `npm run build` (scripts/bundle-workflows.mjs); bundling at start costs seconds. */
export const PREBUILT_WORKFLOW_BUNDLE = join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

export interface SluiceWorkerDeps {
  config: SluiceConfig;
  store: MetadataStore;
  connection: NativeConnection;
  runner?: Runner;
  /** Workflow code; the prebuilt bundle when present, else bundled from source now. */
  workflowBundlePath?: string;
}

/** The composition root of a worker: real store, real runner, the pipelineRun workflow. */
export async function createSluiceWorker(deps: SluiceWorkerDeps): Promise<Worker> {
  const { config } = deps;
  const bundlePath = deps.workflowBundlePath ?? (existsSync(PREBUILT_WORKFLOW_BUNDLE) ? PREBUILT_WORKFLOW_BUNDLE : undefined);
  const workflowSource: Partial<WorkerOptions> = bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
  return Worker.create({
    connection: deps.connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...workflowSource,
    activities: createActivities({
      store: deps.store,
      runner: deps.runner ?? new LocalProcessRunner(),
      stepEnv: buildStepEnv(config.venv, process.env),
    }),
    maxConcurrentActivityTaskExecutions: config.maxConcurrentTasks,
    // Steps keep running through a worker shutdown; the next worker reattaches to them.
    shutdownGraceTime: '2s',
  });
}

/** Temporal's core logs at WARN and above only; its INFO lines would drown the stack's output. */
export function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier call in this process.
  }
}
