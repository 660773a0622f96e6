import type { PlatformScopeValues } from '../types';
import type { ResourceRequirements } from '../../ir/resources';
import type { ParameterValue } from '../../ir/types';

/**
 * A Runner executes one launch of a task: a local process or a Kubernetes pod. Launches are
 * addressed by a deterministic name (run, task, launch number), so that a retried activity on a
 * new worker reattaches to the launch a crashed worker started instead of starting a duplicate.
 */

export interface LaunchSpec {
  /** Deterministic and unique per (run, task, launch); a second `start` with it reattaches. */
  name: string;
  /** Recorded; the local runner cannot pull it and runs the command on the host. */
  image: string;
  /** Resolved argv: program first. Never joined into a shell string. */
  argv: string[];
  env: Record<string, string>;
  /** Per-launch directory: the working directory of a local process, and the runner's bookkeeping. */
  workDir: string;
  /** File that receives the combined stdout and stderr. */
  logFile: string;
  /** Directories the step writes its outputs into; a runner that runs steps as another user makes them writable for it. */
  writableDirs: string[];
  /** The run's workspace (`{{$.workspace_path}}`), one of `writableDirs`: shared by the run's launches, so never sealed. */
  workspaceDir?: string;
  /**
   * Set when every `pip install` of a KFP lightweight component's preamble is met: `PythonEnvs`
   * found the runtime satisfies them, or built and sealed the environment `lib`, which is first on
   * `env.PYTHONPATH`. The local runner then skips the preamble (no pip, no package index).
   */
  requirementsInstalled?: { lib?: string };
  /** Who the launch is and its platform settings: what a pod needs beyond a process (the local runner ignores it). */
  task?: LaunchTask;
}

/**
 * The directories a launch's step may write, each once: its working directory is usually also
 * its outputs' (a directory handed over or sealed twice costs its system calls twice, and two
 * concurrent seals of one tree race each other).
 */
export function launchDirs(spec: LaunchSpec): string[] {
  return [...new Set([spec.workDir, ...spec.writableDirs])];
}

export interface LaunchTask {
  runId: string;
  taskPath: string;
  /** The launch number `n` of `name`. */
  launch: number;
  executorLabel: string;
  /** The executor's `container.resources`, resolved for this launch (`prepareLaunch`). */
  resources?: ResourceRequirements;
  /** The task's resolved input parameters, which image placeholders read. */
  inputParameters: Record<string, ParameterValue>;
  /** Declared output parameter → the file its value goes to: a step the runner carries out itself (a CreatePVC) writes it there. */
  outputParameterFiles?: Record<string, string>;
  platformSpec?: Record<string, unknown>;
  platformScope?: PlatformScopeValues;
}

/** Serializable, so it can travel in a heartbeat to the worker that resumes watching. */
export interface LaunchHandle {
  name: string;
  /** Runner-specific identity, e.g. pid and start time of a local process. */
  ref: Record<string, string | number>;
}

export type LaunchStatus =
  | { status: 'running' }
  | { status: 'exited'; exitCode: number }
  /** The launch is gone without a recorded exit (killed with its supervisor, node lost, pod deleted). */
  | { status: 'lost'; reason: string }
  /**
   * The launch ended, or will never start, for a reason of its own that the runner names
   * (OOMKilled, an image that cannot be pulled, unschedulable, evicted, past its deadline).
   * `retryable`: another launch may fare better; `timedOut`: its deadline passed.
   */
  | { status: 'failed'; reason: string; message: string; retryable: boolean; exitCode?: number; timedOut?: boolean };

/** What a runner reports while a launch runs, for the activity's heartbeat (pod name and phase, say). */
export type LaunchProgress = Record<string, string>;

/**
 * The pipeline workspace (`pipelineConfig.workspace`) as a volume of the runner's own, one per
 * run. A runner without one gives each run a directory on the artifact store instead.
 */
export interface RunWorkspaces {
  /** Where every step sees its run's workspace: the value of `{{$.workspace_path}}`. */
  mountPath: string;
  /** Makes run `runId`'s workspace as its platform spec configures it; idempotent. */
  create(runId: string, platformSpec: Record<string, unknown> | undefined): Promise<void>;
  /** Removes run `runId`'s workspace; idempotent. */
  remove(runId: string): Promise<void>;
}

export interface Runner {
  /** The runner's workspace volumes, when it has them. */
  readonly workspaces?: RunWorkspaces;
  /** The runner carries out kfp-kubernetes' CreatePVC/DeletePVC launches itself (they have no command). */
  readonly carriesKubernetesSteps?: boolean;
  /** Starts the launch, or returns the handle of the existing launch with the same name. */
  start(spec: LaunchSpec): Promise<LaunchHandle>;
  /** The handle of the launch with this name while it runs; undefined when it never started or has ended. Never starts one. */
  attach(spec: LaunchSpec): Promise<LaunchHandle | undefined>;
  /** Resolves when the launch is no longer running; `signal` aborts the wait (not the launch). */
  wait(handle: LaunchHandle, signal: AbortSignal, progress?: (now: LaunchProgress) => void): Promise<LaunchStatus>;
  /** Stops the launch and everything it started; idempotent. Waits at most `graceMs` before SIGKILL. */
  kill(handle: LaunchHandle, graceMs: number): Promise<void>;
  /** The launch has ended: its directories become read-only to every step (the local runner, under a root worker). */
  seal?(spec: LaunchSpec): Promise<void>;
  /** The launch's outcome is recorded: the runner may free what it kept of it (a finished pod, as its retention says). */
  release?(handle: LaunchHandle, succeeded: boolean): Promise<void>;
}
