import { isFinal } from '../../ir/states';
import type { RunStateChange, TaskAttemptRecord, TaskRecord } from '../../store/types';
import type { ApiArtifactList, ApiTaskDetail } from '../api-types';
import { optionalRfc3339, rfc3339, toRunErrorStatus } from './common';
import { toApiRuntimeStatus } from './runs';

/** What one task detail is built from. */
export interface TaskView {
  task: TaskRecord;
  /** This task's attempts, any order. */
  attempts: readonly TaskAttemptRecord[];
  /** Task ids of the tasks that depend on this one. */
  childTaskIds: readonly string[];
}

export function toApiTaskDetail({ task, attempts, childTaskIds }: TaskView): ApiTaskDetail {
  const ordered = [...attempts].sort((a, b) => a.attempt - b.attempt);
  return {
    run_id: task.runId,
    task_id: task.taskId,
    display_name: task.taskName,
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
    child_tasks: childTaskIds.map((id) => ({ task_id: id })),
    inputs: toArtifactLists(task.inputs.artifacts),
    outputs: toArtifactLists(task.outputs.artifacts),
    input_parameters: task.inputs.parameters,
    output_parameters: task.outputs.parameters,
    attempts: task.attempts,
  };
}

/**
 * The store keeps no per-task history, so it is derived: PENDING at creation, then RUNNING and
 * the outcome of each attempt, ending in the task's current state.
 */
export function taskStateHistory(task: TaskRecord, orderedAttempts: readonly TaskAttemptRecord[]): RunStateChange[] {
  const history: RunStateChange[] = [{ state: 'PENDING', at: task.createdAt }];
  for (const a of orderedAttempts) {
    history.push({ state: 'RUNNING', at: a.startedAt });
    if (a.finishedAt && isFinal(a.state)) history.push({ state: a.state, at: a.finishedAt, error: a.error });
  }
  if (history[history.length - 1].state !== task.state) {
    history.push({ state: task.state, at: task.finishedAt ?? task.startedAt ?? task.createdAt, error: task.error });
  }
  return history;
}

function toArtifactLists(byKey: Record<string, string[]>): Record<string, ApiArtifactList> {
  return Object.fromEntries(Object.entries(byKey).map(([key, ids]) => [key, { artifact_ids: ids }]));
}
