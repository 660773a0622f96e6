import type { RunState } from '../ir/states';
import { orderTasks, stateOf, type TaskDetail } from './api-types';
import { formatCounts, tally } from './format';

/**
 * The tasks of a run as a tree, for display: each task under its parent (`parent_task_id`),
 * siblings in start order and a loop's iterations in index order. A loop with many iterations
 * is summarised in one row (its iterations' counts by state) instead of one row each. Pure.
 */

/** A loop shows its iterations one by one up to this many; beyond, one summary row. */
export const MAX_ITERATION_ROWS = 5;

export type TreeRow =
  | { kind: 'task'; depth: number; task: TaskDetail }
  | { kind: 'summary'; depth: number; text: string; state: RunState };

export function taskTree(tasks: readonly TaskDetail[], maxIterationRows = MAX_ITERATION_ROWS): TreeRow[] {
  const loaded = new Set(tasks.map((t) => t.task_id));
  const children = new Map<string | undefined, TaskDetail[]>();
  for (const t of tasks) {
    // A task whose parent is not loaded (a page of a huge run) shows at the top level.
    const parent = t.parent_task_id !== undefined && loaded.has(t.parent_task_id) ? t.parent_task_id : undefined;
    children.set(parent, [...(children.get(parent) ?? []), t]);
  }
  const rows: TreeRow[] = [];
  const walk = (parentId: string | undefined, depth: number, loop?: TaskDetail) => {
    const kids = siblingOrder(children.get(parentId) ?? []);
    const total = Math.max(kids.length, loop?.child_task_count ?? 0);
    if (loop && total > maxIterationRows) {
      // The server counts the iterations by state when it lists only some of them.
      const counts = loop.child_task_state_counts ?? tally(kids.map(stateOf));
      rows.push({ kind: 'summary', depth, text: iterationSummary(counts, total), state: summaryState(counts) });
      return;
    }
    for (const t of kids) {
      rows.push({ kind: 'task', depth, task: t });
      if (t.task_id !== undefined) walk(t.task_id, depth + 1, t.kind === 'LOOP' ? t : undefined);
    }
  };
  walk(undefined, 0);
  return rows;
}

/** Iterations by index; other tasks by start time (`orderTasks`). */
function siblingOrder(tasks: TaskDetail[]): TaskDetail[] {
  if (tasks.every((t) => t.iteration_index !== undefined)) return [...tasks].sort((a, b) => (a.iteration_index as number) - (b.iteration_index as number));
  return orderTasks(tasks);
}

/** `10000 iterations: 9000 succeeded, 1000 running`; iterations neither loaded nor counted are `not loaded`. */
function iterationSummary(counts: Partial<Record<RunState, number>>, total: number): string {
  const unknown = total - Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
  const parts = [formatCounts(counts)];
  if (unknown > 0) parts.push(`${unknown} not loaded`);
  return `${total} iterations: ${parts.filter(Boolean).join(', ')}`;
}

/** The state a summary row shows: the most pressing among its iterations. */
function summaryState(counts: Partial<Record<RunState, number>>): RunState {
  return (['FAILED', 'RUNNING', 'CANCELING', 'PENDING', 'CANCELED', 'SKIPPED', 'PAUSED'] as const).find((s) => counts[s]) ?? 'SUCCEEDED';
}

/** What a row is called on screen: the task's name indented by its depth. */
export function rowLabel(row: TreeRow): string {
  const indent = '  '.repeat(row.depth);
  return row.kind === 'task' ? `${indent}${row.task.display_name}` : `${indent}… ${row.text}`;
}
