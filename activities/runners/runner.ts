import type { PlatformScopeValues } from '../types';
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
  /** Who the launch is and its platform settings: what a pod needs beyond a process (the local runner ignores it). */
  task?: LaunchTask;
}

export interface LaunchTask {
  runId: string;
  taskPath: string;
  /** The launch number `n` of `name`. */
  launch: number;
  executorLabel: string;
  /** The executor's `container.resources` as the spec has them (placeholders unresolved). */
  containerResources?: unknown;
  /** The task's resolved input parameters, which resource and image placeholders read. */
  inputParameters: Record<string, ParameterValue>;
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

export interface Runner {
  /** Starts the launch, or returns the handle of the existing launch with the same name. */
  start(spec: LaunchSpec): Promise<LaunchHandle>;
  /** Resolves when the launch is no longer running; `signal` aborts the wait (not the launch). */
  wait(handle: LaunchHandle, signal: AbortSignal, progress?: (now: LaunchProgress) => void): Promise<LaunchStatus>;
  /** Stops the launch and everything it started; idempotent. Waits at most `graceMs` before SIGKILL. */
  kill(handle: LaunchHandle, graceMs: number): Promise<void>;
  /** The launch has ended: its directories become read-only to every step (the local runner, under a root worker). */
  seal?(spec: LaunchSpec): Promise<void>;
  /** The launch's outcome is recorded: the runner may free what it kept of it (a finished pod, as its retention says). */
  release?(handle: LaunchHandle, succeeded: boolean): Promise<void>;
}
