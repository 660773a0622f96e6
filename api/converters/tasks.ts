import type { ResourceRequirements } from '../../ir/resources';
import { isFinal } from '../../ir/states';
import { taskIdFor } from '../../store/ids';
import type { RunStateChange, TaskAttemptRecord, TaskCacheInfo, TaskChildren, TaskRecord } from '../../store/types';
import type { ApiArtifactList, ApiResources, ApiTaskCache, ApiTaskDetail } from '../api-types';
import { optionalRfc3339, rfc3339, toRunErrorStatus } from './common';
import { toApiRuntimeStatus } from './runs';

/** What one task detail is built from. */
export interface TaskView {
  task: TaskRecord;
  /** This task's attempts, any order. */
  attempts: readonly TaskAttemptRecord[];
  /** The first of the tasks directly inside this one, with their count; undefined when there are none. */
  children?: TaskChildren;
}

export function toApiTaskDetail({ task, attempts, children }: TaskView): ApiTaskDetail {
  const ordered = [...attempts].sort((a, b) => a.attempt - b.attempt);
  return {
    run_id: task.runId,
    task_id: task.taskId,
    display_name: task.displayName,
    parent_task_id: task.parentTaskPath === undefined ? undefined : taskIdFor(task.runId, task.parentTaskPath),
    create_time: rfc3339(task.createdAt),
    start_time: optionalRfc3339(task.startedAt),
    end_time: optionalRfc3339(task.finishedAt),
    state: task.state,
    error: task.error && toRunErrorStatus(task.error),
    pod_name: task.podName,
    executor_detail: {
      main_job: task.podName,
      failed_main_jobs: ordered.filter((a) => a.state === 'FAILED').map((a) => a.podName),
    },
    state_history: taskStateHistory(task, ordered).map(toApiRuntimeStatus),
    child_tasks: (children?.children ?? []).map((c) => ({ task_id: c.taskId, pod_name: c.podName })),
    inputs: toArtifactLists(task.inputs.artifacts),
    outputs: toArtifactLists(task.outputs.artifacts),
    task_path: task.taskPath,
    kind: task.kind,
    iteration_index: task.iterationIndex,
    state_reason: task.reason,
    child_task_count: children?.total ?? 0,
    child_task_state_counts: children?.stateCounts,
    input_parameters: task.inputs.parameters,
    output_parameters: task.outputs.parameters,
    attempts: task.attempts,
    resources: toApiResources(ordered[ordered.length - 1]?.resources),
    cache: task.cache && toApiTaskCache(task.cache),
  };
}

function toApiTaskCache({ status, reason, fingerprint, cachedFrom }: TaskCacheInfo): ApiTaskCache {
  return {
    status,
    reason,
    fingerprint,
    cached_from_run_id: cachedFrom?.runId,
    cached_from_task_id: cachedFrom && taskIdFor(cachedFrom.runId, cachedFrom.taskPath),
    cached_from_task_path: cachedFrom?.taskPath,
  };
}

function toApiResources(resources: ResourceRequirements | undefined): ApiResources | undefined {
  if (!resources) return undefined;
  const { cpuLimit, cpuRequest, memoryLimit, memoryRequest, accelerator } = resources;
  return { cpu_limit: cpuLimit, cpu_request: cpuRequest, memory_limit: memoryLimit, memory_request: memoryRequest, accelerator };
}

/**
 * The store keeps no per-task history, so it is derived: PENDING at creation, then RUNNING and
 * the outcome of each attempt (a DAG-like task, which has no attempts, ran from its start time),
 * ending in the task's current state.
 */
export function taskStateHistory(task: TaskRecord, orderedAttempts: readonly TaskAttemptRecord[]): RunStateChange[] {
  const history: RunStateChange[] = [{ state: 'PENDING', at: task.createdAt }];
  for (const a of orderedAttempts) {
    history.push({ state: 'RUNNING', at: a.startedAt });
    if (a.finishedAt && isFinal(a.state)) history.push({ state: a.state, at: a.finishedAt, error: a.error });
  }
  if (orderedAttempts.length === 0 && task.startedAt) history.push({ state: 'RUNNING', at: task.startedAt });
  if (history[history.length - 1].state !== task.state) {
    history.push({ state: task.state, at: task.finishedAt ?? task.startedAt ?? task.createdAt, error: task.error });
  }
  return history;
}

function toArtifactLists(byKey: Record<string, string[]>): Record<string, ApiArtifactList> {
  return Object.fromEntries(Object.entries(byKey).map(([key, ids]) => [key, { artifact_ids: ids }]));
}
