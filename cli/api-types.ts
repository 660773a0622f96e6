import { isRunState, type RunState } from '../ir/states';
import type { ParameterValue, PipelineSpec } from '../ir/types';

/**
 * The JSON the API returns, as the CLI reads it: KFP v2beta1's `Run` (backend/api/v2beta1/
 * run.proto) in snake_case, plus Sluice's additions on task details (`pod_name`, `attempts`,
 * `input_parameters`, `output_parameters`). Protobuf JSON omits empty fields, so almost every
 * field is optional, and KFP writes unset timestamps as the epoch (see `parseTime`).
 */

/** `google.rpc.Status`, as KFP puts it in `Run.error` and `PipelineTaskDetail.error`. */
export interface ApiStatus {
  code?: number;
  message?: string;
}

export interface TaskDetail {
  run_id?: string;
  task_id?: string;
  /** The task's name in its DAG (`name[i]` for a loop iteration). */
  display_name: string;
  /** Sluice: the task's path, `root/for-loop-2[17]/train`; the `{task}` of the logs endpoint. */
  task_path?: string;
  /** Sluice: CONTAINER, IMPORTER, DAG, LOOP or ITERATION. */
  kind?: string;
  iteration_index?: number;
  /** Sluice: why a SKIPPED task did not run, e.g. `NOT_TRIGGERED`. */
  state_reason?: string;
  /** Sluice: how many tasks are directly inside this one (all of a loop's iterations). */
  child_task_count?: number;
  /** Sluice: how many of those are in each state, when `child_tasks` lists only some. */
  child_task_state_counts?: Partial<Record<RunState, number>>;
  state?: string;
  create_time?: string;
  start_time?: string;
  end_time?: string;
  error?: ApiStatus;
  /** Pod (Kubernetes) or process (local runner) name of the latest attempt. */
  pod_name?: string;
  /** Launches so far, counting retries. */
  attempts?: number;
  input_parameters?: Record<string, ParameterValue>;
  output_parameters?: Record<string, ParameterValue>;
  outputs?: Record<string, { artifact_ids?: string[] }>;
  parent_task_id?: string;
}

/** `pipeline_spec` is the spec itself, or KFP's wrapper when the file carried a platform spec too. */
export type PipelineSpecPayload = PipelineSpec | { pipeline_spec: PipelineSpec; platform_spec: Record<string, unknown> };

export interface Run {
  run_id: string;
  display_name?: string;
  experiment_id?: string;
  description?: string;
  storage_state?: string;
  pipeline_spec?: PipelineSpecPayload;
  /** Sluice: the spec's pipeline name, also on list pages. */
  pipeline_name?: string;
  pipeline_version_reference?: { pipeline_id?: string; pipeline_version_id?: string };
  runtime_config?: {
    parameters?: Record<string, ParameterValue>;
    /** Sluice: artifact ids given for the pipeline's input artifacts. */
    input_artifacts?: Record<string, { artifact_id?: string; artifact_ids?: string[] }>;
    pipeline_root?: string;
  };
  created_at?: string;
  scheduled_at?: string;
  finished_at?: string;
  state?: string;
  error?: ApiStatus;
  /** The recurring run whose schedule started this run. */
  recurring_run_id?: string;
  /** Sluice: times the run was retried. */
  retry_count?: number;
  run_details?: {
    task_details?: TaskDetail[];
    /** Sluice: all of the run's tasks, of which `task_details` holds the top of the tree. */
    task_count?: number;
    task_state_counts?: Partial<Record<string, number>>;
  };
}

export interface ListRunsResponse {
  runs?: Run[];
  total_size?: number;
  next_page_token?: string;
}

/** The pipeline a run executes: a registered version, or a spec sent inline. */
export type RunSource = { pipeline_version_reference: { pipeline_id: string; pipeline_version_id: string } } | { pipeline_spec: PipelineSpecPayload };

export type CreateRunRequest = RunFields & RunSource;

interface RunFields {
  display_name: string;
  experiment_id?: string;
  /** Values are the strings the user typed; the server coerces them to the declared types. */
  runtime_config: { parameters: Record<string, string>; input_artifacts?: Record<string, { artifact_id: string }> };
}

/** KFP's `Trigger`: a cron (with Sluice's `time_zone`) or an interval; times are RFC3339. */
export interface Trigger {
  cron_schedule?: { cron: string; start_time?: string; end_time?: string; time_zone?: string };
  periodic_schedule?: { interval_second: string | number; start_time?: string; end_time?: string };
}

/** KFP's `RecurringRun`: a Temporal Schedule that starts runs of one pipeline. */
export interface RecurringRun {
  recurring_run_id: string;
  display_name?: string;
  description?: string;
  experiment_id?: string;
  pipeline_version_reference?: { pipeline_id?: string; pipeline_version_id?: string };
  runtime_config?: { parameters?: Record<string, ParameterValue> };
  trigger?: Trigger;
  max_concurrency?: string;
  mode?: 'ENABLE' | 'DISABLE';
  status?: 'ENABLED' | 'DISABLED';
  no_catchup?: boolean;
  created_at?: string;
  updated_at?: string;
}

export interface ListRecurringRunsResponse {
  recurringRuns?: RecurringRun[];
  total_size?: number;
  next_page_token?: string;
}

export type CreateRecurringRunRequest = Omit<RunFields, 'display_name'> & { pipeline_spec: PipelineSpecPayload } & {
  display_name?: string;
  trigger: Trigger;
  mode: 'ENABLE' | 'DISABLE';
  no_catchup: boolean;
};

/** The error body of every 4xx/5xx (grpc-gateway's shape, which KFP's clients parse). */
export interface ApiErrorBody {
  error_message?: string;
  message?: string;
  code?: number;
}

/** A state string from the API as a `RunState`; an absent or unknown state reads as PENDING. */
export function stateOf(entity: { state?: string }): RunState {
  return entity.state !== undefined && isRunState(entity.state) ? entity.state : 'PENDING';
}

/** A timestamp from the API, or undefined when absent or the epoch (KFP's "unset"). */
export function parseTime(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || date.getTime() <= 0 ? undefined : date;
}

/** The task's path (older servers sent only the name). */
export function taskKey(task: TaskDetail): string {
  return task.task_path ?? task.display_name;
}

export function tasksOf(run: Run): TaskDetail[] {
  return run.run_details?.task_details ?? [];
}

/**
 * Tasks in the order they started (name breaks ties; unstarted tasks last). Every view that lists
 * tasks (the live table, `runs get`, `logs`) uses this order, so they agree with each other.
 */
export function orderTasks(tasks: readonly TaskDetail[]): TaskDetail[] {
  const start = (t: TaskDetail) => parseTime(t.start_time)?.getTime() ?? Number.POSITIVE_INFINITY;
  return [...tasks].sort((a, b) => start(a) - start(b) || a.display_name.localeCompare(b.display_name));
}

/** The spec inside either form of `pipeline_spec`. */
export function pipelineSpecOf(payload: PipelineSpecPayload): PipelineSpec {
  return 'pipelineInfo' in payload ? (payload as PipelineSpec) : (payload.pipeline_spec as PipelineSpec);
}

/** The pipeline's name as its spec declares it; undefined where the run carries no spec (list pages). */
export function pipelineNameOf(run: Run): string | undefined {
  return run.pipeline_name ?? (run.pipeline_spec && pipelineSpecOf(run.pipeline_spec).pipelineInfo?.name);
}
