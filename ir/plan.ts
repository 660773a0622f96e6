/**
 * The one planner: given the task graph and each task's state, which tasks start now, which are
 * skipped, and how the run ends. Side-effect free, so the workflow can call it after every
 * change and replay it deterministically.
 */
import type { TaskNode } from './graph';
import { isFailed, isFinal, isFulfilled, type RunState, type TaskState } from './states';

export interface Plan {
  /** Tasks to start now, in graph order. */
  start: string[];
  /** Tasks that will never run because an upstream task failed, was skipped or was canceled. */
  skip: string[];
}

// A task in these states holds a slot: it has a pod or process, or is about to.
const ACTIVE: ReadonlySet<TaskState> = new Set(['PENDING', 'RUNNING', 'CANCELING']);
const BLOCKING: ReadonlySet<TaskState> = new Set(['FAILED', 'SKIPPED', 'CANCELED']);

/**
 * Decides the next step for tasks that have not started (`states[name]` undefined). A task is
 * skipped when any upstream task is FAILED, SKIPPED or CANCELED; skips cascade within one call,
 * since the graph is in topological order. A task is ready when every upstream task SUCCEEDED;
 * `start` holds the first `parallelism - active` ready tasks in graph order, where active counts
 * tasks PENDING, RUNNING or CANCELING (a canceling task still holds its pod).
 *
 * @param graph the tasks in topological order (`buildTaskGraph`).
 * @param parallelism how many tasks may be active at once; `Infinity` for no limit.
 * @throws RangeError when `parallelism` is not a whole number >= 1 (or Infinity).
 */
export function planNext(graph: readonly TaskNode[], states: Record<string, TaskState | undefined>, parallelism: number): Plan {
  if (!(parallelism === Infinity || (Number.isInteger(parallelism) && parallelism >= 1))) {
    throw new RangeError(`parallelism must be a whole number >= 1, got ${parallelism}`);
  }
  const planned = new Map<string, TaskState>();
  const stateOf = (name: string) => planned.get(name) ?? states[name];
  const ready: string[] = [];
  const skip: string[] = [];
  for (const node of graph) {
    if (states[node.name] !== undefined) continue;
    const upstream = node.upstream.map(stateOf);
    if (upstream.some((state) => state !== undefined && BLOCKING.has(state))) {
      skip.push(node.name);
      planned.set(node.name, 'SKIPPED');
    } else if (upstream.every((state) => state !== undefined && isFulfilled(state))) {
      ready.push(node.name);
    }
  }
  const active = graph.filter((node) => {
    const state = states[node.name];
    return state !== undefined && ACTIVE.has(state);
  }).length;
  return { start: ready.slice(0, Math.max(0, parallelism - active)), skip };
}

/**
 * The run's outcome from its tasks' states: RUNNING until every task is final, then FAILED if
 * any task failed, else CANCELED if any was canceled, else SUCCEEDED.
 */
export function runOutcome(
  graph: readonly TaskNode[],
  states: Record<string, TaskState | undefined>,
): Extract<RunState, 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED'> {
  const final = graph.map((node) => states[node.name]).filter((state): state is TaskState => state !== undefined && isFinal(state));
  if (final.length < graph.length) return 'RUNNING';
  if (final.some(isFailed)) return 'FAILED';
  if (final.includes('CANCELED')) return 'CANCELED';
  return 'SUCCEEDED';
}
