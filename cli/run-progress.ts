import type { RunState } from '../ir/states';
import { orderTasks, parseTime, stateOf, taskKey, tasksOf, type Run, type TaskDetail } from './api-types';
import { elapsed, formatClock, formatCounts, formatDuration, formatState, renderTable, tally, type Cell } from './format';
import { rowLabel, taskTree, type TreeRow } from './task-tree';

/**
 * The live view of a run, as pure functions of run snapshots (the `GET /runs/{id}` JSON), so the
 * same code serves a terminal, a CI log and the tests. `watch-run.ts` does the polling and writing.
 */

/**
 * One line per task whose state (or attempt) changed between two snapshots, e.g.
 * `12:00:01 train RUNNING` or `12:00:01 for-loop-2[3]/train RUNNING` (the task's path below the
 * root); a task seen for the first time counts as a change. `at` is when `next` was observed.
 * A retry shows its attempt, a failure the first line of its error, a skip its reason.
 * A change of the run's own state comes first, as `12:00:01 [run] CANCELING`.
 */
export function stateChangeLines(prev: Run | undefined, next: Run, at: Date): string[] {
  const before = new Map((prev ? tasksOf(prev) : []).map((t) => [taskKey(t), t]));
  const lines: string[] = [];
  if (!prev || stateOf(prev) !== stateOf(next)) lines.push(`${formatClock(at)} [run] ${stateOf(next)}`);
  for (const task of orderTasks(tasksOf(next))) {
    const old = before.get(taskKey(task));
    if (old && stateOf(old) === stateOf(task) && old.attempts === task.attempts) continue;
    lines.push(`${formatClock(at)} ${shortPath(task)} ${stateOf(task)}${attemptNote(task)}${errorNote(task)}${reasonNote(task)}`);
  }
  return lines;
}

/** The task's path below the root DAG, `for-loop-2[3]/train`; a root task's is its name. */
function shortPath(task: TaskDetail): string {
  return taskKey(task).replace(/^root\//, '');
}

function reasonNote(task: TaskDetail): string {
  return stateOf(task) === 'SKIPPED' && task.state_reason ? ` (${task.state_reason})` : '';
}

function attemptNote(task: TaskDetail): string {
  return task.attempts !== undefined && task.attempts > 1 ? ` (attempt ${task.attempts})` : '';
}

function errorNote(task: TaskDetail): string {
  const first = task.error?.message?.split('\n')[0];
  return stateOf(task) === 'FAILED' && first ? `: ${first}` : '';
}

export interface ProgressTableOptions {
  now: Date;
  color: boolean;
  /** Terminal width: lines are cut to fit it. */
  columns?: number;
  /** Most task rows to show; the rest are summed up in one line, so a huge fan-out still fits. */
  maxRows?: number;
}

/**
 * The redrawn terminal view: a header (run name, state, elapsed time, task counts) and the task
 * tree as a table (task indented under its parent, state, attempts, duration; a loop with many
 * iterations in one summary row). Returns the lines without trailing newlines.
 */
export function renderProgressTable(run: Run, opts: ProgressTableOptions): string[] {
  const tree = taskTree(tasksOf(run));
  const shown = opts.maxRows !== undefined && tree.length > opts.maxRows ? tree.slice(0, Math.max(0, opts.maxRows - 1)) : tree;
  const runTime = elapsed(parseTime(run.created_at), parseTime(run.finished_at), opts.now);
  const header = `${run.display_name ?? run.run_id}  ${formatState(stateOf(run), opts.color)}  ${formatDuration(runTime)}  ${runCounts(run)}`;
  const rows = shown.map((row) => treeRowCells(row, opts.now, opts.color));
  const lines = [header, ...renderTable(['TASK', 'STATE', 'ATTEMPTS', 'DURATION'], rows, { maxWidth: opts.columns, color: opts.color })];
  if (shown.length < tree.length) lines.push(`… and ${tree.length - shown.length} more: ${formatCounts(tally(tree.slice(shown.length).map(rowState)))}`);
  return opts.columns === undefined ? lines : lines.map((l) => clip(l, opts.columns as number));
}

function rowState(row: TreeRow): RunState {
  return row.kind === 'task' ? stateOf(row.task) : row.state;
}

function treeRowCells(row: TreeRow, now: Date, color: boolean): Cell[] {
  const state = rowState(row);
  const stateCell = { text: formatState(state, false), styled: formatState(state, color) };
  if (row.kind === 'summary') return [rowLabel(row), stateCell, '-', '-'];
  const { task } = row;
  return [
    rowLabel(row),
    stateCell,
    task.attempts === undefined ? '-' : String(task.attempts),
    formatDuration(elapsed(parseTime(task.start_time), parseTime(task.end_time), now)),
  ];
}

/** The whole run's task counts: the server's when it sends them (a huge run's page is not all of it). */
function runCounts(run: Run): string {
  const counts = run.run_details?.task_state_counts;
  return counts ? formatCounts(counts) || 'no tasks yet' : countStates(tasksOf(run));
}

/** `2 succeeded, 1 running, 3 pending`, in the order of `RUN_STATES`. */
export function countStates(tasks: readonly TaskDetail[]): string {
  return formatCounts(tally(tasks.map(stateOf))) || 'no tasks yet';
}

/** The closing line of a watched run, e.g. `Run 1234 SUCCEEDED in 42s`. */
export function finalSummary(run: Run, now: Date): string {
  const state = stateOf(run);
  const took = formatDuration(elapsed(parseTime(run.created_at), parseTime(run.finished_at), now));
  return `Run ${run.run_id} ${state} ${state === 'SUCCEEDED' ? 'in' : 'after'} ${took}`;
}

/**
 * Cuts a line to `width` visible characters. Only header lines can overflow (the table is already
 * fitted); those carry colour codes, which do not count towards the width.
 */
function clip(line: string, width: number): string {
  let visible = 0;
  let out = '';
  // eslint-disable-next-line no-control-regex -- matching ANSI colour codes is the point
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith('\x1b[')) {
      out += part;
      continue;
    }
    for (const ch of part) {
      if (visible >= width) return out.includes('\x1b[') ? `${out}\x1b[0m` : out;
      out += ch;
      visible++;
    }
  }
  return out;
}
