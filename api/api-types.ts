import type { RunState, TaskKind } from '../ir/states';
import type { ParameterValue, PipelineSpec } from '../ir/types';

/**
 * The JSON the API sends: KFP v2beta1's messages (backend/api/v2beta1/*.proto) in snake_case,
 * as grpc-gateway writes them, plus Sluice's additions, which are marked. Times are RFC3339
 * strings; a field with no value is left out rather than sent empty.
 */

/** `google.rpc.Status`: the `error` of a run, a task or a state change, and every error response. */
export interface ApiStatus {
  /** gRPC status code (3 INVALID_ARGUMENT, 5 NOT_FOUND, ...), as KFP sends it. */
  code: number;
  message: string;
  details: ApiStatusDetail[];
}

/** A `google.protobuf.Any` in `details`; `@type` says which message it holds. */
export type ApiStatusDetail =
  | { '@type': 'type.googleapis.com/google.rpc.BadRequest'; field_violations: FieldViolation[] }
  | { '@type': 'type.googleapis.com/sluice.RunError'; type?: string; [detail: string]: unknown };

export interface FieldViolation {
  /** Dotted path of the offending request field, e.g. `runtime_config.parameters.n`. */
  field: string;
  description: string;
}

/** Error response body: grpc-gateway's status plus KFP's `error_message`. */
export interface ApiErrorBody extends ApiStatus {
  error_message: string;
}

export interface ApiPipeline {
  pipeline_id: string;
  name: string;
  display_name: string;
  description: string;
  namespace: string;
  created_at: string;
}

/** KFP's form: the spec itself, or `{pipeline_spec, platform_spec}` when the upload carried both. */
export type ApiPipelineSpecPayload = PipelineSpec | { pipeline_spec: PipelineSpec; platform_spec: Record<string, unknown> };

export interface ApiPipelineVersion {
  pipeline_id: string;
  pipeline_version_id: string;
  name: string;
  display_name: string;
  description: string;
  created_at: string;
  pipeline_spec: ApiPipelineSpecPayload;
}

export interface ApiExperiment {
  experiment_id: string;
  display_name: string;
  description: string;
  namespace: string;
  storage_state: 'AVAILABLE' | 'ARCHIVED';
  created_at: string;
  last_run_created_at?: string;
}

export interface ApiRuntimeStatus {
  update_time: string;
  state: RunState;
  error?: ApiStatus;
}

export interface ApiArtifactList {
  artifact_ids: string[];
}

/** KFP's `PipelineTaskDetail.ChildTask`: a task inside this one (a DAG's tasks, a loop's iterations). */
export interface ApiChildTask {
  task_id: string;
  pod_name?: string;
}

export interface ApiTaskDetail {
  run_id: string;
  /** Derived from run id and task path (`taskIdFor`), so it never changes. */
  task_id: string;
  /** The task's name in its DAG; `name[i]` for a loop iteration. */
  display_name: string;
  /** The enclosing DAG, loop or iteration task; absent for tasks of the root DAG. */
  parent_task_id?: string;
  create_time: string;
  start_time?: string;
  end_time?: string;
  state: RunState;
  error?: ApiStatus;
  /** Process (local runner) or pod (Kubernetes) name of the latest attempt. */
  pod_name?: string;
  executor_detail: { main_job?: string; failed_main_jobs: string[] };
  state_history: ApiRuntimeStatus[];
  /** The tasks directly inside this one, in listing order; at most a bounded number (see `child_task_count`). */
  child_tasks: ApiChildTask[];
  /** Input and output artifact ids by key. */
  inputs: Record<string, ApiArtifactList>;
  outputs: Record<string, ApiArtifactList>;
  /** Sluice: the task's path, `root/for-loop-2[17]/train`; also the `{task}` of the logs endpoint. */
  task_path: string;
  /** Sluice: CONTAINER, IMPORTER, DAG, LOOP or ITERATION. */
  kind: TaskKind;
  /** Sluice: the iteration's index, for an ITERATION. */
  iteration_index?: number;
  /** Sluice: why the task did not run, e.g. `NOT_TRIGGERED` (its condition was false) for a SKIPPED task. */
  state_reason?: string;
  /** Sluice: how many tasks are directly inside this one; page them with `GET /runs/{id}/tasks?parent_task_id=`. */
  child_task_count: number;
  /** Sluice: how many of those are in each state, when there are more than `child_tasks` lists (a loop's iterations, say). */
  child_task_state_counts?: Partial<Record<RunState, number>>;
  /** Sluice: resolved input parameter values. */
  input_parameters: Record<string, ParameterValue>;
  /** Sluice: output parameter values. */
  output_parameters: Record<string, ParameterValue>;
  /** Sluice: launches so far, counting retries. */
  attempts: number;
  /**
   * Sluice: what the latest launch asked for (Kubernetes quantities: `cpu_limit` "500m",
   * `memory_limit` "1G", an accelerator's type and count), resolved from the task's inputs. The
   * local runner records them but cannot enforce them.
   */
  resources?: ApiResources;
  /**
   * Sluice: the cache decision of a container task. KFP's v2beta1 task detail has no field for
   * it (its UI reads the MLMD execution); a task served from cache is SKIPPED with
   * `state_reason` CACHED, as KFP's API reports it, and this says whose outputs it reused.
   */
  cache?: ApiTaskCache;
}

export interface ApiTaskCache {
  /** HIT (outputs reused, nothing launched), MISS (it ran; its success became the entry) or DISABLED (it ran without looking). */
  status: 'HIT' | 'MISS' | 'DISABLED';
  /** Which switch disabled it, why it missed, or where the hit came from. */
  reason: string;
  fingerprint?: string;
  /** For a hit: the run and task (task_id and path) that produced the outputs. */
  cached_from_run_id?: string;
  cached_from_task_id?: string;
  cached_from_task_path?: string;
}

/** Sluice extension: one entry of the task cache (`GET /apis/v2beta1/cache/entries`). */
export interface ApiCacheEntry {
  /** The namespace of the run whose task wrote the entry; a lookup reuses entries of its own namespace only. */
  namespace: string;
  pipeline_name: string;
  fingerprint: string;
  /** The execution whose outputs a hit reuses. */
  run_id: string;
  task_id: string;
  task_path: string;
  create_time: string;
}

export interface ApiCacheEntryList {
  entries: ApiCacheEntry[];
  total_size: number;
}

export interface ApiResources {
  cpu_limit?: string;
  cpu_request?: string;
  memory_limit?: string;
  memory_request?: string;
  accelerator?: { type: string; count: number };
}

/** KFP's `RunDetails`, bounded: a huge run is summarised, its tasks paged by `GET /runs/{id}/tasks`. */
export interface ApiRunDetails {
  /**
   * The top of the run's task tree, in tree order (parents before children): breadth first, at
   * most 100 children of any task (see `child_task_count`) and the server's limit in all. A run
   * without a wider task, and no larger than the limit, is here whole.
   */
  task_details: ApiTaskDetail[];
  /** Sluice: how many tasks the run has. */
  task_count: number;
  /** Sluice: how many tasks are in each state (states with none are left out). */
  task_state_counts: Partial<Record<RunState, number>>;
}

/** Sluice: `GET /runs/{id}/tasks`. */
export interface ApiTaskList {
  tasks: ApiTaskDetail[];
  total_size: number;
  next_page_token?: string;
}

/**
 * Sluice (Vertex AI's `PipelineJob.RuntimeConfig.InputArtifact`): an artifact given for a pipeline
 * input artifact, by the id `GET /artifacts/{id}` knows it by; `artifact_ids` (KFP's ArtifactList)
 * gives several, for a list-of-artifacts input.
 */
export type ApiInputArtifact = { artifact_id: string } | ApiArtifactList;

export interface ApiRuntimeConfig {
  parameters: Record<string, ParameterValue>;
  /** Sluice: the artifacts given for the pipeline's input artifacts, by input name; absent when none were. */
  input_artifacts?: Record<string, ApiInputArtifact>;
  pipeline_root?: string;
}

export interface ApiRun {
  run_id: string;
  experiment_id: string;
  display_name: string;
  description: string;
  storage_state: 'AVAILABLE' | 'ARCHIVED';
  pipeline_version_reference?: { pipeline_id: string; pipeline_version_id?: string };
  /** The spec the run executes; sent by `GET /runs/{id}` only, to keep list pages small. */
  pipeline_spec?: PipelineSpec;
  /** Sluice: `pipelineInfo.name` of the run's spec (stored beside it), on list pages too. */
  pipeline_name: string;
  runtime_config: ApiRuntimeConfig;
  created_at: string;
  scheduled_at: string;
  finished_at?: string;
  state: RunState;
  error?: ApiStatus;
  state_history: ApiRuntimeStatus[];
  /** The recurring run whose schedule started this run. */
  recurring_run_id?: string;
  /** Sluice: times the run was retried (`POST /runs/{id}:retry`); 0 for a run never retried. */
  retry_count: number;
  /** Sent by `GET /runs/{id}` only. */
  run_details?: ApiRunDetails;
}

/** KFP's `RecurringRun`. */
export interface ApiRecurringRun {
  recurring_run_id: string;
  display_name: string;
  description: string;
  pipeline_version_reference?: { pipeline_id: string; pipeline_version_id?: string };
  pipeline_spec?: Record<string, unknown>;
  /** As given at creation. */
  runtime_config: Record<string, unknown>;
  /** int64, which protobuf's JSON writes as a string. */
  max_concurrency: string;
  /** As given: `cron_schedule` (with Sluice's `time_zone`) or `periodic_schedule`. */
  trigger: Record<string, unknown>;
  mode: 'ENABLE' | 'DISABLE';
  status: 'ENABLED' | 'DISABLED';
  no_catchup: boolean;
  experiment_id: string;
  namespace: string;
  created_at: string;
  updated_at: string;
}

/** Sluice: an artifact of a run, with the tasks that produced and consumed it. */
export interface ApiArtifact {
  artifact_id: string;
  run_id: string;
  name: string;
  uri: string;
  schema_title: string;
  schema_version: string;
  metadata: Record<string, ParameterValue>;
  /** Path of the task that produced it. */
  producer_task_path?: string;
  output_key?: string;
  created_at: string;
  lineage: { task_path: string; direction: 'INPUT' | 'OUTPUT'; key: string }[];
}

/** Sluice: an API token as `GET /tokens` lists it; `namespaces` absent means every namespace. */
export interface ApiToken {
  token_id: string;
  name: string;
  scope: 'read' | 'write' | 'admin';
  namespaces?: string[];
  created_at: string;
  expires_at?: string;
  last_used_at?: string;
  revoked_at?: string;
}

/** Sluice: `POST /tokens`'s answer, the only time the plain token is shown. */
export interface ApiCreatedToken extends ApiToken {
  token: string;
}
