import { ApplicationFailure } from '@temporalio/activity';
import { FailureTypes } from '../config/constants';
import type { MetadataStore } from '../store/types';
import type { ReopenRunInput } from './types';

/**
 * The first step of a retry's workflow, in place of `registerRun`: the run's row exists, so the
 * retry only reopens its tasks that did not succeed (and makes the attempt the run's, should the
 * API's claim of it be missing). Idempotent: a retried call before any task ran changes nothing.
 * @throws a non-retryable `RunFailed` when a later retry of the run has been claimed: this
 *   execution is stale and must not run the run's tasks.
 */
export function createReopenRun(store: MetadataStore) {
  return async function reopenRun(input: ReopenRunInput): Promise<void> {
    if (await store.reopenRunTasks(input.runId, input.attempt, new Date())) return;
    throw ApplicationFailure.create({
      message: `run ${input.runId} has been retried again since attempt ${input.attempt} started; this attempt stops`,
      type: FailureTypes.runFailed,
      nonRetryable: true,
    });
  };
}
