/**
 * Run and task states: a closed set with predicates, named as KFP's v2beta1 `RuntimeState`
 * so the API can show them unchanged.
 */
export const RUN_STATES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELING', 'CANCELED', 'PAUSED'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** A task's states are the run's; SKIPPED marks a task that never ran because an upstream task failed. */
export type TaskState = RunState;

const FINAL: ReadonlySet<RunState> = new Set(['SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED']);

export function isFinal(state: RunState): boolean {
  return FINAL.has(state);
}

export function isFailed(state: RunState): boolean {
  return state === 'FAILED';
}

/** True for states whose outputs downstream tasks may consume. */
export function isFulfilled(state: RunState): boolean {
  return state === 'SUCCEEDED';
}

export function isRunState(value: string): value is RunState {
  return (RUN_STATES as readonly string[]).includes(value);
}

/**
 * What a task row stands for. CONTAINER and IMPORTER tasks execute (activities); DAG tasks
 * (condition branches, nested pipelines, exit-handler groups), LOOP tasks and their ITERATIONs
 * are DAG instances the workflow interprets, recorded so the task tree mirrors the spec.
 */
export const TASK_KINDS = ['CONTAINER', 'IMPORTER', 'DAG', 'LOOP', 'ITERATION'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Whether a task of `kind` runs attempts (a step); otherwise it is a DAG instance, which has children instead. */
export function runsAttempts(kind: TaskKind): boolean {
  return kind === 'CONTAINER' || kind === 'IMPORTER';
}
