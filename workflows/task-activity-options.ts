import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
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
