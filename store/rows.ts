import type { ResourceRequirements } from '../ir/resources';
import type { ArtifactRef, ParameterValue, PipelineSpec } from '../ir/types';
import type { RunState, TaskKind, TaskState } from '../ir/states';
import type {
  ArtifactRecord,
  CacheEntry,
  ExperimentRecord,
  LineageEdge,
  PipelineRecord,
  PipelineVersionRecord,
  RecurringRunRecord,
  RunError,
  RunRecord,
  RunStateChange,
  RunSummary,
  TaskAttemptRecord,
  TaskCacheInfo,
  TaskRecord,
} from './types';

/**
 * Rows as `pg` returns them (snake_case; timestamptz as Date, jsonb parsed, NULL as null) and
 * their conversion to the store's records (camelCase, undefined for absent). Only pg-store.ts
 * uses these; no other module sees a row. Type aliases, not interfaces, so they satisfy `pg`'s
 * `QueryResultRow` index signature.
 */

type StorageState = 'AVAILABLE' | 'ARCHIVED';
type TaskIo = TaskRecord['inputs'];

export type PipelineRow = {
  pipeline_id: string;
  name: string;
  display_name: string;
  description: string;
  namespace: string;
  created_at: Date;
};

export type PipelineVersionRow = {
  pipeline_version_id: string;
  pipeline_id: string;
  name: string;
  display_name: string;
  description: string;
  spec: PipelineSpec;
  platform_spec: Record<string, unknown> | null;
  created_at: Date;
};

export type ExperimentRow = {
  experiment_id: string;
  display_name: string;
  description: string;
  namespace: string;
  storage_state: StorageState;
  created_at: Date;
  last_run_created_at: Date | null;
};

/** A run row without its spec columns, as listings select it. */
export type RunSummaryRow = {
  run_id: string;
  display_name: string;
  description: string;
  experiment_id: string;
  pipeline_id: string | null;
  pipeline_version_id: string | null;
  pipeline_name: string;
  recurring_run_id: string | null;
  parameters: Record<string, ParameterValue>;
  input_artifacts: Record<string, string[]>;
  pipeline_root: string | null;
  state: RunState;
  error: RunError | null;
  storage_state: StorageState;
  created_at: Date;
  scheduled_at: Date;
  finished_at: Date | null;
  namespace: string;
  retry_count: number;
};

export type RunRow = RunSummaryRow & {
  spec: PipelineSpec;
  platform_spec: Record<string, unknown> | null;
};

export type RecurringRunRow = {
  recurring_run_id: string;
  display_name: string;
  description: string;
  pipeline_id: string | null;
  pipeline_version_id: string | null;
  pipeline_spec: Record<string, unknown> | null;
  runtime_config: Record<string, unknown>;
  max_concurrency: number;
  trigger: Record<string, unknown>;
  mode: RecurringRunRecord['mode'];
  no_catchup: boolean;
  experiment_id: string;
  namespace: string;
  created_at: Date;
  updated_at: Date;
};

export type RunStateRow = {
  run_id: string;
  state: RunState;
  at: Date;
  error: RunError | null;
};

export type TaskRow = {
  run_id: string;
  task_path: string;
  task_id: string;
  display_name: string;
  parent_task_path: string | null;
  kind: TaskKind;
  iteration_index: number | null;
  component_name: string;
  state: TaskState;
  reason: string | null;
  inputs: TaskIo;
  outputs: TaskIo;
  attempts: number;
  launch_base: number;
  pod_name: string | null;
  error: RunError | null;
  cache: TaskCacheInfo | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
};

export type TaskAttemptRow = {
  run_id: string;
  task_path: string;
  attempt: number;
  state: TaskState;
  pod_name: string;
  exit_code: number | null;
  error: RunError | null;
  log_uri: string;
  resources: ResourceRequirements | null;
  started_at: Date;
  finished_at: Date | null;
};

export type ArtifactRow = {
  artifact_id: string;
  uri: string;
  name: string;
  schema_title: string;
  schema_version: string;
  metadata: Record<string, ParameterValue>;
  run_id: string;
  producer_task_path: string | null;
  output_key: string | null;
  created_at: Date;
};

export type LineageRow = {
  artifact_id: string;
  run_id: string;
  task_path: string;
  direction: 'INPUT' | 'OUTPUT';
  key: string;
};

/** Parameter for a jsonb column. Always stringified: `pg` would send a JS array as a Postgres array. */
export function jsonParam(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function optional<T>(value: T | null): T | undefined {
  return value ?? undefined;
}

export function toPipeline(r: PipelineRow): PipelineRecord {
  return {
    pipelineId: r.pipeline_id,
    name: r.name,
    displayName: r.display_name,
    description: r.description,
    namespace: r.namespace,
    createdAt: r.created_at,
  };
}

export function toPipelineVersion(r: PipelineVersionRow): PipelineVersionRecord {
  return {
    pipelineVersionId: r.pipeline_version_id,
    pipelineId: r.pipeline_id,
    name: r.name,
    displayName: r.display_name,
    description: r.description,
    spec: r.spec,
    platformSpec: optional(r.platform_spec),
    createdAt: r.created_at,
  };
}

export function toExperiment(r: ExperimentRow): ExperimentRecord {
  return {
    experimentId: r.experiment_id,
    displayName: r.display_name,
    description: r.description,
    namespace: r.namespace,
    storageState: r.storage_state,
    createdAt: r.created_at,
    lastRunCreatedAt: optional(r.last_run_created_at),
  };
}

export function toRecurringRun(r: RecurringRunRow): RecurringRunRecord {
  return {
    recurringRunId: r.recurring_run_id,
    displayName: r.display_name,
    description: r.description,
    pipelineId: optional(r.pipeline_id),
    pipelineVersionId: optional(r.pipeline_version_id),
    pipelineSpec: optional(r.pipeline_spec),
    runtimeConfig: r.runtime_config,
    maxConcurrency: r.max_concurrency,
    trigger: r.trigger,
    mode: r.mode,
    noCatchup: r.no_catchup,
    experimentId: r.experiment_id,
    namespace: r.namespace,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRunStateChange(r: RunStateRow): RunStateChange {
  return { state: r.state, at: r.at, error: optional(r.error) };
}

/** `history` holds this run's state rows, oldest first. */
export function toRunSummary(r: RunSummaryRow, history: RunStateRow[]): RunSummary {
  return {
    runId: r.run_id,
    displayName: r.display_name,
    description: r.description,
    experimentId: r.experiment_id,
    pipelineId: optional(r.pipeline_id),
    pipelineVersionId: optional(r.pipeline_version_id),
    pipelineName: r.pipeline_name,
    recurringRunId: optional(r.recurring_run_id),
    parameters: r.parameters,
    inputArtifacts: r.input_artifacts,
    pipelineRoot: optional(r.pipeline_root),
    state: r.state,
    error: optional(r.error),
    storageState: r.storage_state,
    createdAt: r.created_at,
    scheduledAt: r.scheduled_at,
    finishedAt: optional(r.finished_at),
    namespace: r.namespace,
    retryCount: r.retry_count,
    stateHistory: history.map(toRunStateChange),
  };
}

export function toRun(r: RunRow, history: RunStateRow[]): RunRecord {
  return { ...toRunSummary(r, history), spec: r.spec, platformSpec: optional(r.platform_spec) };
}

/** Builds the records of `runs` with `convert`, giving each the history rows that carry its run id. */
export function withHistoryRows<R extends RunSummaryRow, T>(
  runs: R[],
  history: RunStateRow[],
  convert: (run: R, history: RunStateRow[]) => T,
): T[] {
  const byRun = new Map<string, RunStateRow[]>();
  for (const h of history) {
    const list = byRun.get(h.run_id) ?? [];
    list.push(h);
    byRun.set(h.run_id, list);
  }
  return runs.map((r) => convert(r, byRun.get(r.run_id) ?? []));
}

export function toTask(r: TaskRow): TaskRecord {
  return {
    runId: r.run_id,
    taskPath: r.task_path,
    taskId: r.task_id,
    displayName: r.display_name,
    parentTaskPath: optional(r.parent_task_path),
    kind: r.kind,
    iterationIndex: optional(r.iteration_index),
    componentName: r.component_name,
    state: r.state,
    reason: optional(r.reason),
    inputs: r.inputs,
    outputs: r.outputs,
    attempts: r.attempts,
    launchBase: r.launch_base,
    podName: optional(r.pod_name),
    error: optional(r.error),
    cache: optional(r.cache),
    createdAt: r.created_at,
    startedAt: optional(r.started_at),
    finishedAt: optional(r.finished_at),
  };
}

export type CacheEntryRow = {
  namespace: string;
  pipeline_name: string;
  fingerprint: string;
  run_id: string;
  task_path: string;
  created_at: Date;
};

export function toCacheEntry(r: CacheEntryRow): CacheEntry {
  return { namespace: r.namespace, pipelineName: r.pipeline_name, fingerprint: r.fingerprint, runId: r.run_id, taskPath: r.task_path, createdAt: r.created_at };
}

export function toTaskAttempt(r: TaskAttemptRow): TaskAttemptRecord {
  return {
    runId: r.run_id,
    taskPath: r.task_path,
    attempt: r.attempt,
    state: r.state,
    podName: r.pod_name,
    exitCode: optional(r.exit_code),
    error: optional(r.error),
    logUri: r.log_uri,
    resources: optional(r.resources),
    startedAt: r.started_at,
    finishedAt: optional(r.finished_at),
  };
}

export function toArtifact(r: ArtifactRow): ArtifactRecord {
  return {
    artifactId: r.artifact_id,
    uri: r.uri,
    name: r.name,
    schemaTitle: r.schema_title,
    schemaVersion: r.schema_version,
    metadata: r.metadata,
    runId: r.run_id,
    producerTaskPath: optional(r.producer_task_path),
    outputKey: optional(r.output_key),
    createdAt: r.created_at,
  };
}

/** What of a stored artifact travels between tasks: its address and metadata, not its store bookkeeping. */
export function toArtifactRef(a: ArtifactRecord): ArtifactRef {
  return { name: a.name, uri: a.uri, schemaTitle: a.schemaTitle, schemaVersion: a.schemaVersion, metadata: a.metadata };
}

export function toLineage(r: LineageRow): LineageEdge {
  return { artifactId: r.artifact_id, runId: r.run_id, taskPath: r.task_path, direction: r.direction, key: r.key };
}
