import type { ArtifactRef, ArtifactTypeSchema, ContainerSpec, InputDefinitions, OutputDefinitions, ParameterValue, PipelineSpec } from '../ir/types';
import type { RunState, TaskKind, TaskState } from '../ir/states';
import type { RunError } from '../store/types';
import type { TaskOutputs } from '../ir/types';
import type { TaskCachePlan } from '../ir/cache-key';

/** Everything one task needs to run, decided by the workflow (inputs are already resolved). */
export interface TaskActivityInput {
  runId: string;
  runName: string;
  pipelineName: string;
  pipelineRoot: string;
  /** RFC3339 run creation time. */
  createdAt: string;
  /** The task's identity (`root/for-loop-2[17]/train`, see ir/task-path.ts). */
  taskPath: string;
  /** The run's shared workspace directory (`{{$.workspace_path}}`), when it has one. */
  workspacePath?: string;
  /** The task's name in its DAG, as users see it. */
  displayName: string;
  componentName: string;
  container: ContainerSpec;
  inputDefinitions?: InputDefinitions;
  outputDefinitions?: OutputDefinitions;
  inputs: TaskOutputs;
  /** Launches allowed for this task: 1 + KFP's maxRetryCount. */
  maxStepAttempts: number;
  /**
   * How long one launch may run, from its start (a reattach keeps the original deadline); past
   * it the step is killed and the task fails with `TaskTimedOut`, without retries. KFP has no
   * such field: it comes from kfp-kubernetes' `activeDeadlineSeconds` for the task's executor
   * in the run's platform spec. No limit when absent.
   */
  timeoutSeconds?: number;
  /** The task's executor (`exec-train`): its kfp-kubernetes settings are found by it. */
  executorLabel?: string;
  /** The run's platform document (kfp-kubernetes), narrowed to this task's executor. */
  platformSpec?: Record<string, unknown>;
  /** What the executor's kfp-kubernetes `*Parameter` fields read from the task's DAG (`platformParameterRefs`). */
  platformScope?: PlatformScopeValues;
  /**
   * The task's cache plan (`ir/cache-key.ts`), from workflows since patch `task-cache`; absent
   * from older ones, whose tasks neither look up nor write the cache.
   */
  cache?: TaskCachePlan;
  /**
   * Set by a retry's workflow (`RunInput.retry`): the run attempt. The task then reuses what it
   * recorded as succeeded (or served from cache) before the retry, and numbers its new launches
   * after those its reopened row keeps (`launchBase`). Absent on a run's first execution.
   */
  runAttempt?: number;
}

/** DAG inputs and sibling outputs, as kfp-kubernetes' `*Parameter` fields name them. */
export interface PlatformScopeValues {
  parameters: Record<string, ParameterValue>;
  /** Output parameters by sibling task name. */
  taskOutputs: Record<string, Record<string, ParameterValue>>;
}

/** KFP's `ImporterSpec` (`deploymentSpec.executors.X.importer`), as the compiler writes it. */
export interface ImporterSpec {
  /** A constant URI (a string, or protobuf's `{stringValue}` form), or the input parameter that holds it. */
  artifactUri: { constant?: ParameterValue; runtimeParameter?: string };
  typeSchema: ArtifactTypeSchema;
  /** Becomes the artifact's metadata; string values may hold `{{$.inputs.parameters['x']}}`. */
  metadata?: Record<string, ParameterValue>;
  /** True: register the URI afresh. False or absent: reuse the artifact already registered with it. */
  reimport?: boolean;
  /** Download into the run's workspace; the local runner has no workspace and downloads nothing. */
  downloadToWorkspace?: boolean;
}

/** Everything one importer task needs (`importArtifact`), decided by the workflow. */
export interface ImportArtifactInput {
  runId: string;
  /** The task's identity (`root/for-loop-2[17]/importer`, see ir/task-path.ts). */
  taskPath: string;
  /** The task's name in its DAG, as users see it. */
  displayName: string;
  componentName: string;
  importer: ImporterSpec;
  /** The task's resolved input parameters: the URI's `runtimeParameter` and metadata placeholders read them. */
  inputParameters: Record<string, ParameterValue>;
  /** The importer component's outputs: exactly one artifact (`artifact` as kfp compiles it). */
  outputDefinitions?: OutputDefinitions;
}

export interface TaskActivityResult {
  outputs: TaskOutputs;
  /** Launch number that succeeded (1 when the first launch did; 0 for a task served from cache). */
  attempts: number;
  podName: string;
  /** For a task served from cache: the run and task whose outputs it reused. */
  cachedFrom?: { runId: string; taskPath: string };
}

/**
 * `runTaskInline`'s answer for a step it hands to `runTask`: launch `detached` outlived the window
 * and runs on, for `runTask` to reattach to, or (its Python environment to be built first) was
 * not recorded or started, for `runTask` to launch.
 */
export interface DetachedTask {
  detached: number;
}

/**
 * How one task of a series (`runTaskSeries`) ended, in the series' order: its outputs, its launch
 * still running after the window (for `runTask` to reattach to), or the failure its launch
 * recorded (for the workflow to fail the task or, when the retry policy allows, launch it again).
 * Tasks after the last ending did not start.
 */
export type SeriesEnding = { taskPath: string; ms: number } & ({ result: TaskActivityResult } | DetachedTask | { failed: SeriesFailure });

/** A launch failure a series recorded for one task (the `ApplicationFailure` `runTask` would have thrown). */
export interface SeriesFailure {
  message: string;
  type?: string;
  nonRetryable: boolean;
  details?: unknown[];
}

export interface RunStateUpdate {
  runId: string;
  state: RunState;
  /** RFC3339, from workflow time, so a replayed write carries the same value. */
  at: string;
  error?: RunError;
  /** Task transitions to write before the run's state (tasks skipped or canceled at the end). */
  tasks?: TaskTransition[];
  /** Set by a retry's workflow: its run attempt, so that a stale attempt cannot set the run's state. */
  attempt?: number;
}

/** Where a task sits in its run and what it is: the same for every state it passes through. */
export interface TaskIdentity {
  /** The task's identity, `root/for-loop-2[17]/train` (ir/task-path.ts), unique within a run. */
  taskPath: string;
  /** The task's name in its DAG (`name[i]` for a loop iteration), as users see it. */
  displayName: string;
  /** Path of the enclosing DAG task; undefined for tasks of the root DAG. */
  parentTaskPath?: string;
  kind: TaskKind;
  /** The iteration's index, for an ITERATION task. */
  iterationIndex?: number;
  componentName: string;
}

/**
 * One task state change decided by the workflow (not by a launch): a DAG, loop or iteration
 * starting or ending, a task skipped, not triggered, failed before launch, or canceled.
 * `recordTaskStates` writes a batch of them in one transaction; a final state is never
 * overwritten, and `at` (workflow time) sets `started_at` only when the row has none.
 */
export interface TaskTransition extends TaskIdentity {
  state: TaskState;
  /** RFC3339, from workflow time, so a replayed write carries the same value. */
  at: string;
  error?: RunError;
  /** Why a task did not run: `NOT_TRIGGERED` (its condition was false), `UPSTREAM_FAILED`, … */
  reason?: string;
  /** Resolved input parameters (DAG-like tasks and tasks that failed before launch). */
  inputParameters?: Record<string, ParameterValue>;
  /** A DAG's or loop's outputs (`dag.outputs`), once it ends. */
  outputs?: TaskOutputs;
}

export interface TaskStatesBatch {
  runId: string;
  transitions: TaskTransition[];
}

/** What a retry's workflow reopens: its run, as attempt `attempt`. */
export interface ReopenRunInput {
  runId: string;
  attempt: number;
}

/**
 * What `registerRun` upserts as the run's row: a run started by a Temporal Schedule or
 * `temporal workflow start` records itself exactly as one created through the API.
 */
export interface RegisterRunInput {
  runId: string;
  runName: string;
  experimentId?: string;
  pipelineId?: string;
  pipelineVersionId?: string;
  spec: PipelineSpec;
  platformSpec?: Record<string, unknown>;
  parameters: Record<string, ParameterValue>;
  inputArtifacts?: Record<string, ArtifactRef[]>;
  pipelineRoot: string;
  /** RFC3339, from the workflow's start time. */
  createdAt: string;
  /** RFC3339 time a schedule meant the run for (a backfilled run's is in the past); `createdAt` when absent. */
  scheduledAt?: string;
  /** The recurring run that started this run. */
  recurringRunId?: string;
}
