import { isFinal } from '../../ir/states';
import { ApiError, type ApiClient } from '../api-client';
import { orderTasks, stateOf, taskKey, tasksOf, type TaskDetail } from '../api-types';
import { apiClientFor, println, type CliContext, type GlobalOptions, type Terminal } from '../context';
import { sleep } from '../watch-run';

/** How often `logs RUN --follow` looks for the next task to start. */
const NEXT_TASK_POLL_MS = 1000;

/**
 * `sluice logs RUN [TASK]`. With TASK, that task's log (`--follow` streams it until the task
 * ends). Without, every task's log in start order, each under a `==> task (STATE) <==` header;
 * with `--follow`, each task is followed to its end in turn, and tasks that start later are
 * picked up until the run is over.
 */
export async function logsCommand(ctx: CliContext, globals: GlobalOptions, runId: string, task: string | undefined, opts: { follow?: boolean }): Promise<void> {
  const client = apiClientFor(ctx, globals);
  const follow = Boolean(opts.follow);
  if (task !== undefined) {
    await client.streamTaskLog(runId, task, { follow }, (text) => ctx.stdout.write(text));
    return;
  }
  const shown = new Set<string>();
  for (;;) {
    const run = await client.getRun(runId);
    const pending = orderTasks(tasksOf(run)).filter((t) => !shown.has(taskKey(t)) && hasLog(t));
    let progressed = false;
    for (const t of follow ? pending.slice(0, 1) : pending) {
      // While following, a task whose log file is not there yet is tried again on the next round.
      if (await printTaskLog(ctx.stdout, client, runId, t, { follow, spaced: shown.size > 0, missingOk: !follow || isFinal(stateOf(t)) || isFinal(stateOf(run)) })) {
        shown.add(taskKey(t));
        progressed = true;
      }
    }
    if (!follow) {
      if (!shown.size) println(ctx.stdout, 'No task has started yet.');
      return;
    }
    if (!progressed) {
      if (isFinal(stateOf(run)) && !pending.length) return;
      await sleep(NEXT_TASK_POLL_MS);
    }
  }
}

/** A task that never launched (PENDING, SKIPPED, or a DAG, loop or iteration) has no log to show. */
function hasLog(task: TaskDetail): boolean {
  const state = stateOf(task);
  const launches = task.kind === undefined || task.kind === 'CONTAINER' || task.kind === 'IMPORTER';
  return launches && state !== 'PENDING' && state !== 'SKIPPED';
}

/**
 * Prints `==> task (STATE) <==` and the task's log. The header waits for the first output, so
 * a log that does not exist yet (404) prints nothing and returns false, unless `missingOk`:
 * then the header and `(no log)` are printed, for a task that will never have one.
 */
async function printTaskLog(
  out: Terminal,
  client: ApiClient,
  runId: string,
  task: TaskDetail,
  opts: { follow: boolean; spaced: boolean; missingOk: boolean },
): Promise<boolean> {
  let headerShown = false;
  const header = () => {
    if (headerShown) return;
    if (opts.spaced) println(out);
    println(out, `==> ${taskKey(task).replace(/^root\//, '')} (${stateOf(task)}) <==`);
    headerShown = true;
  };
  let endsWithNewline = true;
  try {
    await client.streamTaskLog(runId, taskKey(task), { follow: opts.follow }, (text) => {
      header();
      out.write(text);
      endsWithNewline = text.endsWith('\n');
    });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404) || headerShown) throw err;
    if (!opts.missingOk) return false;
    header();
    println(out, '(no log)');
    return true;
  }
  header();
  if (!endsWithNewline) println(out);
  return true;
}
