import { isFinal, type RunState } from '../../ir/states';
import { taskIdFor } from '../../store/ids';
import type { RunRecord, TaskRecord } from '../../store/types';
import type { RunSnapshot, TaskSnapshot } from '../../workflows/types';

/**
 * Merges a workflow's live snapshot into the stored run and tasks. The store lags the workflow
 * (a task shows RUNNING in the workflow before its activity records it), so for anything not
 * final the workflow's state wins; once the store holds a final state it is authoritative, and a
 * CANCELING recorded by the API stands until the workflow reports an end. Pure.
 */
export function mergeLiveState(run: RunRecord, tasks: readonly TaskRecord[], live: RunSnapshot): { run: RunRecord; tasks: TaskRecord[] } {
  const stored = new Map(tasks.map((t) => [t.taskName, t]));
  const merged = live.tasks.map((snap) => mergeTask(run, stored.get(snap.name), snap));
  const liveNames = new Set(live.tasks.map((t) => t.name));
  return {
    run: { ...run, state: liveRunState(run.state, live.state) },
    tasks: [...merged, ...tasks.filter((t) => !liveNames.has(t.taskName))],
  };
}

function liveRunState(stored: RunState, live: RunState): RunState {
  if (isFinal(stored) || (stored === 'CANCELING' && !isFinal(live))) return stored;
  return live;
}

function mergeTask(run: RunRecord, stored: TaskRecord | undefined, snap: TaskSnapshot): TaskRecord {
  if (stored && isFinal(stored.state)) return stored;
  const base: TaskRecord = stored ?? {
    runId: run.runId,
    taskName: snap.name,
    taskId: taskIdFor(run.runId, snap.name),
    componentName: snap.componentName,
    state: snap.state,
    inputs: { parameters: {}, artifacts: {} },
    outputs: { parameters: {}, artifacts: {} },
    attempts: 0,
    createdAt: toDate(snap.startedAt) ?? run.createdAt,
  };
  return {
    ...base,
    state: snap.state,
    attempts: Math.max(base.attempts, snap.attempts),
    startedAt: base.startedAt ?? toDate(snap.startedAt),
    finishedAt: base.finishedAt ?? toDate(snap.finishedAt),
    error: base.error ?? snap.error,
  };
}

function toDate(rfc3339: string | undefined): Date | undefined {
  return rfc3339 === undefined ? undefined : new Date(rfc3339);
}
