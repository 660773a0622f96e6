import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { PIPELINE_FAILURES } from '../config/constants';
import type { SeriesEnding } from '../activities/types';
import type { Logger } from '../observability/logger';
import { countStoreError, observeActivity, type ActivityOutcome } from '../observability/metrics';


/**
 * Every activity attempt ends in one structured log event and one observation of
 * `sluice_activity_duration_seconds`, named by the run and task it served, so a task can be
 * followed in the logs across workers and retries.
 */
export function activityTelemetry(logger: Logger): ActivityInterceptorsFactory {
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const started = process.hrtime.bigint();
        const fields = { ...subjectOf(input.args[0]), activity: ctx.info.activityType, attempt: ctx.info.attempt, workflowId: ctx.info.workflowExecution?.workflowId };
        try {
          const result = await next(input);
          // A step handed from its inline run to `runTask` has not ended yet.
          finish(logger, fields, isDetached(result) ? 'detached' : 'succeeded', started);
          logSeriesTasks(logger, fields, result);
          return result;
        } catch (err) {
          const outcome = outcomeOf(err);
          if (outcome === 'error') countStoreError('worker', err);
          finish(logger, fields, outcome, started, err);
          throw err;
        }
      },
    },
  });
}

function finish(logger: Logger, fields: { activity: string } & Record<string, unknown>, outcome: ActivityOutcome, started: bigint, err?: unknown): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  observeActivity(fields.activity, outcome, seconds);
  const event = { ...fields, outcome, durationMs: Math.round(seconds * 1000) };
  if (outcome === 'error') logger.warn({ ...event, err }, 'activity attempt failed; Temporal retries it');
  else if (outcome === 'failed') logger.info({ ...event, error: (err as Error).message.split('\n')[0] }, 'activity finished');
  // A task's end is worth a line; the state writers' many small batches are not.
  else if (outcome !== 'detached' && TASK_ACTIVITIES.has(event.activity)) logger.info(event, 'activity finished');
  else logger.debug(event, 'activity finished');
}

const TASK_ACTIVITIES = new Set(['runTask', 'runTaskInline']);

/** A series (`runTaskSeries`) is logged like the tasks it ran: one event for each task it ended, with the task's own time. */
function logSeriesTasks(logger: Logger, fields: Record<string, unknown>, result: unknown): void {
  const endings = (result as { endings?: unknown } | undefined)?.endings;
  if (!Array.isArray(endings)) return;
  for (const ending of endings as SeriesEnding[]) {
    const event = { ...fields, taskPath: ending.taskPath, durationMs: ending.ms };
    if ('failed' in ending) logger.info({ ...event, outcome: 'failed', error: ending.failed.message.split('\n')[0] }, 'activity finished');
    else if ('result' in ending) logger.info({ ...event, outcome: 'succeeded' }, 'activity finished');
  }
}

function isDetached(result: unknown): boolean {
  return typeof result === 'object' && result !== null && 'detached' in result;
}

function outcomeOf(err: unknown): ActivityOutcome {
  if (err instanceof CancelledFailure) return 'canceled';
  if (err instanceof ApplicationFailure && PIPELINE_FAILURES.has(err.type ?? '')) return 'failed';
  return 'error';
}

/** The run and task an activity's input names (runTask's input, the state writers' batches; a series' run). */
function subjectOf(arg: unknown): { runId?: string; taskPath?: string } {
  if (Array.isArray(arg)) return { runId: subjectOf(arg[0]).runId };
  if (!arg || typeof arg !== 'object') return {};
  const { runId, taskPath } = arg as { runId?: unknown; taskPath?: unknown };
  return {
    ...(typeof runId === 'string' ? { runId } : {}),
    ...(typeof taskPath === 'string' ? { taskPath } : {}),
  };
}
