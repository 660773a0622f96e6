import { RUN_STATES, type RunState } from '../ir/states';
import { orderTasks, parseTime, stateOf, tasksOf, type Run, type TaskDetail } from './api-types';
import { elapsed, formatClock, formatDuration, formatState, renderTable, type Cell } from './format';

/**
 * The live view of a run, as pure functions of run snapshots (the `GET /runs/{id}` JSON), so the
 * same code serves a terminal, a CI log and the tests. `watch-run.ts` does the polling and writing.
 */

/**
 * One line per task whose state (or attempt) changed between two snapshots, e.g.
 * `12:00:01 train RUNNING`; a task seen for the first time counts as a change. `at` is when
 * `next` was observed. A retry shows its attempt, a failure the first line of its error.
 * A change of the run's own state comes first, as `12:00:01 [run] CANCELING`.
 */
export function stateChangeLines(prev: Run | undefined, next: Run, at: Date): string[] {
  const before = new Map((prev ? tasksOf(prev) : []).map((t) => [t.display_name, t]));
  const lines: string[] = [];
  if (!prev || stateOf(prev) !== stateOf(next)) lines.push(`${formatClock(at)} [run] ${stateOf(next)}`);
  for (const task of orderTasks(tasksOf(next))) {
    const old = before.get(task.display_name);
    if (old && stateOf(old) === stateOf(task) && old.attempts === task.attempts) continue;
    lines.push(`${formatClock(at)} ${task.display_name} ${stateOf(task)}${attemptNote(task)}${errorNote(task)}`);
  }
  return lines;
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
 * The redrawn terminal view: a header (run name, state, elapsed time, task counts) and a task
 * table (task, state, attempts, duration). Returns the lines without trailing newlines.
 */
export function renderProgressTable(run: Run, opts: ProgressTableOptions): string[] {
  const tasks = orderTasks(tasksOf(run));
  const shown = opts.maxRows !== undefined && tasks.length > opts.maxRows ? tasks.slice(0, Math.max(0, opts.maxRows - 1)) : tasks;
  const runTime = elapsed(parseTime(run.created_at), parseTime(run.finished_at), opts.now);
  const header = `${run.display_name ?? run.run_id}  ${formatState(stateOf(run), opts.color)}  ${formatDuration(runTime)}  ${countStates(tasks)}`;
  const rows: Cell[][] = shown.map((task) => [
    task.display_name,
    { text: formatState(stateOf(task), false), styled: formatState(stateOf(task), opts.color) },
    task.attempts === undefined ? '-' : String(task.attempts),
    formatDuration(elapsed(parseTime(task.start_time), parseTime(task.end_time), opts.now)),
  ]);
  const lines = [header, ...renderTable(['TASK', 'STATE', 'ATTEMPTS', 'DURATION'], rows, { maxWidth: opts.columns, color: opts.color })];
  if (shown.length < tasks.length) lines.push(`… and ${tasks.length - shown.length} more: ${countStates(tasks.slice(shown.length))}`);
  return opts.columns === undefined ? lines : lines.map((l) => clip(l, opts.columns as number));
}

/** `2 succeeded, 1 running, 3 pending`, in the order of `RUN_STATES`. */
export function countStates(tasks: readonly TaskDetail[]): string {
  const counts = new Map<RunState, number>();
  for (const t of tasks) counts.set(stateOf(t), (counts.get(stateOf(t)) ?? 0) + 1);
  const parts = RUN_STATES.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s.toLowerCase()}`);
  return parts.length ? parts.join(', ') : 'no tasks yet';
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
