import type { ArtifactRef, ParameterValue, PipelineSpec, TaskOutputs } from '../ir/types';
import type { RunState, TaskState } from '../ir/states';

/**
 * The input of one `pipelineRun` workflow. Self-contained (the validated spec travels with it),
 * so a run replays without reading anything outside its history.
 */
export interface RunInput {
  /**
   * Also the workflow id. Empty in a recurring run's schedule action: a Temporal Schedule starts
   * every run with the same input, so such a run takes the workflow id the schedule gave it
   * (`<recurring run id>-<scheduled time>`, see `forThisWorkflow`).
   */
  runId: string;
  /** The recurring run (Temporal Schedule) whose action this input is; absent for a run started once. */
  recurringRunId?: string;
  runName: string;
  pipelineName: string;
  experimentId: string;
  /** The pipeline version the spec came from, when it came from one (recorded on a run the workflow registers). */
  pipelineId?: string;
  pipelineVersionId?: string;
  spec: PipelineSpec;
  /** The upload's Kubernetes platform document (kfp-kubernetes), when it has one. */
  platformSpec?: Record<string, unknown>;
  /** Runtime parameters, already validated against the spec, with defaults filled in. */
  parameters: Record<string, ParameterValue>;
  /**
   * The pipeline's input artifacts, already checked against the spec, by input name; an optional
   * input that was not given is absent. Runs started before input artifacts existed have none.
   */
  inputArtifacts?: Record<string, ArtifactRef[]>;
  /** The run's shared workspace directory (`{{$.workspace_path}}`), when the pipeline configures one. */
  workspacePath?: string;
  /** Root of this run's artifacts (a directory for the local store). */
  pipelineRoot: string;
  /** RFC3339 creation time, shown to steps as `{{$.pipeline_job_create_time_utc}}`; empty in a schedule action. */
  createdAt: string;
  /**
   * Set when this execution retries the run (`POST /runs/{id}:retry`): a new execution of the
   * run's workflow, under the same workflow id, with the input of the one before. `attempt` is
   * the run's retry count (1 for the first retry); the API has claimed it in the store.
   */
  retry?: { attempt: number };
  /** Tasks of this run that may execute at once. */
  parallelism: number;
  /**
   * Series of container tasks this workflow runs at once when more are ready
   * (`task-series.ts`); each takes one of the `parallelism` slots. Absent or 0: every task is
   * its own activity (as in every run started before series existed). A loop's or a wide DAG's
   * children share it as they share the slots.
   */
  seriesWidth?: number;
  /** How long a task may go without a heartbeat before Temporal retries it on another worker. */
  heartbeatTimeoutSeconds: number;
}

/** One task's live state, as the `tasks` query returns it. */
export interface TaskSnapshot {
  name: string;
  componentName: string;
  state: TaskState;
  /** Launches so far, counting retries. */
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  error?: { message: string; type?: string };
  outputs?: TaskOutputs;
}

export interface RunSnapshot {
  runId: string;
  state: RunState;
  /** The first tasks (by start); a huge run's query lists a bounded number. */
  tasks: TaskSnapshot[];
  /** Every task the workflow has seen, counted by state. */
  counts?: Record<string, number>;
}
