import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { PIPELINE_FAILURES } from '../config/constants';
import type { TaskExecutor } from './run-task';
import type { TaskAttemptRecord } from '../store/types';
import type { SeriesEnding, TaskActivityInput } from './types';

/**
 * Runs tasks one after another in one activity, each exactly as `runTask` would (the same
 * executor: cache, launch choice from the store, start record, sandbox, outputs, success record),
 * so a backlog of short steps costs one trip through Temporal's queues per series instead of per
 * step. No task starts once the series has run for `startWindowMs`, and a task still running
 * after `windowMs` of its own is left running (`detached`) and ends the series: a series never
 * holds back the tasks queued behind it for long, and a long step goes on as its own `runTask`,
 * which reattaches to it and heartbeats.
 *
 * A task's launch failure is that task's ending. A cancellation of the run stops the series
 * (no task starts after it; the step running is killed) and returns what ended before it.
 * Anything else (the store, the worker, a missed heartbeat) ends the attempt, and its retry
 * finds each task where the store says it stands: a finished task is read back, an unfinished
 * launch reattached.
 */
export async function runSeries(
  execute: TaskExecutor,
  inputs: readonly TaskActivityInput[],
  { windowMs, startWindowMs }: { windowMs: number; startWindowMs: number },
  attemptsOf: (runId: string, taskPaths: string[]) => Promise<TaskAttemptRecord[]>,
): Promise<{ endings: SeriesEnding[] }> {
  const ctx = Context.current();
  const stopStartingAt = performance.now() + startWindowMs;
  const endings: SeriesEnding[] = [];
  // Every task's recorded launches in one read instead of one each. Read at the series' start,
  // a task's may be older by the time it runs than its own read would be; nothing else writes
  // them meanwhile but an earlier attempt of this series still running somewhere (after a missed
  // heartbeat), and its launch is found by the runner's own records whatever the store said.
  const runId = inputs[0]?.runId;
  let known: Map<string, TaskAttemptRecord[]> | undefined;
  if (runId !== undefined && inputs.every((i) => i.runId === runId)) {
    known = new Map(inputs.map((i) => [i.taskPath, []]));
    for (const attempt of await attemptsOf(runId, inputs.map((i) => i.taskPath))) known.get(attempt.taskPath)?.push(attempt);
  }
  for (const input of inputs) {
    if (endings.length > 0 && (performance.now() >= stopStartingAt || ctx.cancellationSignal.aborted)) break;
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const result = await execute(input, windowMs, known?.get(input.taskPath));
      if ('detached' in result) {
        endings.push({ taskPath: input.taskPath, ms: ms(), detached: result.detached });
        break;
      }
      endings.push({ taskPath: input.taskPath, ms: ms(), result });
    } catch (err) {
      // The run was canceled: the step was stopped and recorded CANCELED; the tasks that ended
      // before it are reported as they ended, and the workflow cancels the rest.
      if (err instanceof CancelledFailure && endings.length > 0) break;
      // A launch's own failure (`failLaunch`, `chooseLaunch`) is its task's outcome, not the series'.
      if (!(err instanceof ApplicationFailure) || !PIPELINE_FAILURES.has(err.type ?? '')) throw err;
      endings.push({ taskPath: input.taskPath, ms: ms(), failed: { message: err.message, type: err.type ?? undefined, nonRetryable: err.nonRetryable === true, details: err.details as unknown[] | undefined } });
    }
  }
  return { endings };
}
