import { dirname, isAbsolute, join, relative } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../config/constants';
import { PlaceholderError, ResourceError } from '../ir/errors';
import { resolveArgs, type PlaceholderContext } from '../ir/placeholders';
import { kubernetesStepOf } from '../ir/platform';
import { resolveResources, type ResourceRequirements } from '../ir/resources';
import { runPlaceholderValues } from '../ir/run-values';
import type { ArtifactRef } from '../ir/types';
import type { taskLayout } from './layout';
import type { LaunchSpec } from './runners/runner';
import type { TaskActivityInput } from './types';

export interface LaunchPlan {
  spec: LaunchSpec;
  /** Declared output parameter → the file the step writes its value to. */
  parameterFiles: Record<string, string>;
  /** Declared output artifact → its ref (URI known before the step runs). */
  outputArtifacts: Record<string, ArtifactRef[]>;
  /** KFP's `executor_output.json`, written by lightweight components and by steps that set metadata. */
  executorOutputFile: string;
  /** Every path the step may write; cleared before a fresh launch. */
  outputPaths: string[];
  /**
   * The cpu, memory and accelerator the executor asks for, resolved from the task's inputs, for
   * a runner that can enforce them (a pod's resources); the local runner cannot.
   */
  resources?: ResourceRequirements;
}

/**
 * Decides the exact command of one launch: output locations, KFP placeholders resolved to argv,
 * the step's environment and its resources. Does no I/O, so the same input always yields the
 * same launch.
 *
 * @throws ApplicationFailure, non-retryable, of type `InvalidTask`, naming the task and the
 *   placeholder or resource field, when the launch cannot be built (an optional input used
 *   without `IfPresent`, an unknown placeholder, no command at all, a cpu limit that is not a
 *   quantity): the same input fails the same way on every retry.
 */
export function prepareLaunch(
  input: TaskActivityInput,
  opts: {
    launch: number;
    layout: ReturnType<typeof taskLayout>;
    launchName: string;
    baseEnv: Record<string, string>;
    /** The runner mounts the run's workspace as a volume of its own: no directory of the worker's to make writable. */
    workspaceIsVolume?: boolean;
    /** The runner carries out kfp-kubernetes' CreatePVC/DeletePVC itself; other runners get no launch of them. */
    kubernetesSteps?: boolean;
  },
): LaunchPlan {
  const workDir = opts.layout.launchDir(opts.launch);
  assertPlainNames(input, opts.layout.taskDir);
  const parameterFiles: Record<string, string> = {};
  for (const name of Object.keys(input.outputDefinitions?.parameters ?? {})) {
    parameterFiles[name] = join(workDir, 'outputs', name);
  }
  const outputArtifacts: Record<string, ArtifactRef[]> = {};
  for (const [name, def] of Object.entries(input.outputDefinitions?.artifacts ?? {})) {
    outputArtifacts[name] = [{
      name,
      uri: opts.layout.outputUri(name),
      schemaTitle: def.artifactType.schemaTitle ?? 'system.Artifact',
      schemaVersion: def.artifactType.schemaVersion ?? '0.0.1',
      metadata: {},
    }];
  }
  const executorOutputFile = join(workDir, 'executor_output.json');
  const ctx: PlaceholderContext = {
    ...runPlaceholderValues(input, input.taskPath),
    inputs: input.inputs,
    outputs: {
      parameters: Object.fromEntries(Object.entries(parameterFiles).map(([k, f]) => [k, { outputFile: f }])),
      artifacts: outputArtifacts,
      outputFile: executorOutputFile,
    },
  };
  const container = input.container;
  const argv = resolveCommand(input, ctx, opts.kubernetesSteps ?? false);
  const resources = resolveLaunchResources(input);
  // KFP's lightweight components `pip install` their packages before they run: the worker's
  // PythonEnvs puts an environment with them first on PYTHONPATH, so that pip changes nothing.
  const env: Record<string, string> = { ...opts.baseEnv };
  for (const { name, value } of container.env ?? []) env[name] = value;
  const outputPaths = [
    ...Object.values(parameterFiles),
    ...Object.values(outputArtifacts).flatMap((list) => list.map((a) => a.uri)),
    executorOutputFile,
  ];
  return {
    spec: {
      name: opts.launchName,
      image: container.image,
      argv,
      env,
      workDir,
      logFile: opts.layout.logFile(opts.launch),
      writableDirs: [...new Set([...outputPaths.map((path) => dirname(path)), ...(input.workspacePath && !opts.workspaceIsVolume ? [input.workspacePath] : [])])],
      workspaceDir: input.workspacePath,
      task: {
        runId: input.runId,
        taskPath: input.taskPath,
        launch: opts.launch,
        executorLabel: input.executorLabel ?? '',
        resources,
        inputParameters: input.inputs.parameters,
        outputParameterFiles: parameterFiles,
        platformSpec: input.platformSpec,
        platformScope: input.platformScope,
      },
    },
    parameterFiles,
    outputArtifacts,
    executorOutputFile,
    outputPaths,
    resources,
  };
}

/**
 * Output names and the task path become file names in the launch's directories, which the
 * worker (root) creates, hands to the step user and reads back: a name that is not one plain
 * path segment (`../x`, `a/b`, NUL) would point it elsewhere. The API refuses such specs; this
 * holds for any that reached a worker anyway (an older run, a client of Temporal's own).
 */
function assertPlainNames(input: TaskActivityInput, taskDir: string): void {
  const invalid = (what: string) => invalidTask(`task ${input.taskPath} (component ${input.componentName}): ${what}`);
  const runDir = join(input.pipelineRoot, input.runId);
  if (!isBelow(input.pipelineRoot, runDir) || !isBelow(runDir, taskDir)) throw invalid(`its directory ${taskDir} is not inside its run's directory ${runDir}`);
  const names = [...Object.keys(input.outputDefinitions?.parameters ?? {}), ...Object.keys(input.outputDefinitions?.artifacts ?? {})];
  const bad = names.find((name) => name === '' || name === '.' || name === '..' || /[/\0]/.test(name));
  if (bad !== undefined) throw invalid(`output name ${JSON.stringify(bad)} is not a plain file name`);
}

function isBelow(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

function invalidTask(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: FailureTypes.invalidTask, nonRetryable: true });
}

function resolveCommand(input: TaskActivityInput, ctx: PlaceholderContext, kubernetesSteps: boolean): string[] {
  const invalid = (reason: string) => invalidTask(`task ${input.taskPath} (component ${input.componentName}): ${reason}`);
  let argv: string[];
  try {
    argv = [...resolveArgs(input.container.command, ctx), ...resolveArgs(input.container.args, ctx)];
  } catch (err) {
    if (err instanceof PlaceholderError) throw invalid(`cannot build its command: placeholder ${err.message}`);
    throw err;
  }
  // kfp-kubernetes' CreatePVC/DeletePVC have an image and no command: the Kubernetes runner carries them out itself.
  const step = kubernetesStepOf(input.container.image);
  if (step && !kubernetesSteps) throw invalid(`its executor is kfp-kubernetes' ${step} (${input.container.image}), which only the Kubernetes runner carries out`);
  if (argv.length === 0 && !step) throw invalid('its executor has neither command nor args');
  return argv;
}

/** The resolver's message already names the field, the value and the task. */
function resolveLaunchResources(input: TaskActivityInput): ResourceRequirements | undefined {
  try {
    return resolveResources(input.container.resources, input.inputs.parameters, input.displayName);
  } catch (err) {
    if (err instanceof ResourceError) throw invalidTask(err.message);
    throw err;
  }
}
