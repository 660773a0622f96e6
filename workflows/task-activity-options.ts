import { ActivityCancellationType, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import { FailureTypes } from '../config/constants';
import type { RetrySettings } from '../ir/retry';

/** Step failures are retried by KFP's policy; anything else (worker loss, store outage) until it passes. */
const NON_RETRYABLE: string[] = [FailureTypes.stepFailed, FailureTypes.invalidTask];

/**
 * The options of a task's activity: its id is the task's identity, liveness is judged by
 * heartbeats (training steps may run for days, so the start-to-close bound is only a backstop),
 * a cancellation waits for the step to be killed, and KFP's retry policy sets the backoff.
 */
export function taskActivityOptions(activityId: string, heartbeatTimeoutSeconds: number, retry: RetrySettings): ActivityOptions {
  return {
    activityId,
    startToCloseTimeout: '365 days',
    heartbeatTimeout: `${heartbeatTimeoutSeconds}s`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: Math.max(1000, retry.initialIntervalMs),
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: Math.max(1000, retry.maximumIntervalMs),
      nonRetryableErrorTypes: NON_RETRYABLE,
    },
  };
}

/**
 * How long a step runs inline (`runTaskInline`, a local activity) before it is handed to
 * `runTask`. Well under the workflow task timeout (10 s), so the workflow task that runs it is
 * not held open long: the workflow sees a cancellation or a child's end at the latest then.
 */
export const INLINE_WINDOW_MS = 2_000;

/**
 * The options of a task's inline run: the retry policy of its activity (KFP's backoff between
 * launches), a cancellation that waits for the step to be killed, and the task's path as the
 * summary Temporal's UI shows for the local activity's marker. The timeout only bounds the
 * store writes and sealing around the window: the step itself detaches after `INLINE_WINDOW_MS`.
 * `oneTry`: no retry inside the local activity (since patch `local-activities-uncancelled`, a failed
 * launch's next one is a `runTask` after the policy's first backoff: `relaunchAfter`).
 */
export function inlineTaskOptions(taskPath: string, options: ActivityOptions, oneTry: boolean): LocalActivityOptions {
  return { summary: taskPath, startToCloseTimeout: '1 minute', retry: oneTry ? { ...options.retry, maximumAttempts: 1 } : options.retry, cancellationType: options.cancellationType };
}

/**
 * After a launch failure that the retry policy allows another launch for: the policy's first
 * backoff, to wait before the next launch, and the options of the `runTask` that takes it, whose
 * own retries continue the backoff from there (KFP's duration × factor, then × factor again).
 */
export function relaunchAfter(options: ActivityOptions): { backoffMs: number; options: ActivityOptions } {
  const retry = options.retry ?? {};
  const backoffMs = msToNumber(retry.initialInterval ?? 1000);
  const next = Math.min(backoffMs * (retry.backoffCoefficient ?? 2), retry.maximumInterval === undefined ? Number.POSITIVE_INFINITY : msToNumber(retry.maximumInterval));
  return { backoffMs, options: { ...options, retry: { ...retry, initialInterval: Math.max(backoffMs, next) } } };
}
