import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';
import type { RunError } from '../store/types';

/** What a failed activity or child workflow reports as a task's error: the cause it carries, not Temporal's wrapper. */
export function failureOf(err: unknown): RunError {
  const cause = err instanceof ActivityFailure || err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { message: cause.message, type: cause.type ?? undefined };
  return { message: cause instanceof Error ? cause.message : String(cause) };
}
