import type { MetadataStore } from '../store/types';
import type { TaskStatesBatch } from './types';

/**
 * Persists a batch of task transitions the workflow decided (DAGs, loops and iterations
 * starting and ending, tasks skipped, not triggered, failed before launch or canceled) with one
 * store statement. Idempotent and never regresses a final state, so a retried or replayed batch
 * is harmless.
 */
export function createRecordTaskStates(store: MetadataStore) {
  return async function recordTaskStates(batch: TaskStatesBatch): Promise<void> {
    await store.recordTaskTransitions(batch.runId, batch.transitions);
  };
}
