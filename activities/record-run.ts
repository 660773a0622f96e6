import type { MetadataStore } from '../store/types';
import type { RunStateUpdate } from './types';

/**
 * Persists a run transition decided by the workflow (its final state, above all). Tasks go
 * first, so that a reader who sees the run final also sees every task final. Both writes are
 * idempotent and never regress a final state, so a replayed or retried call is harmless.
 */
export function createRecordRunState(store: MetadataStore) {
  return async function recordRunState(update: RunStateUpdate): Promise<void> {
    if (update.tasks?.length) await store.recordTaskTransitions(update.runId, update.tasks);
    await store.recordRunState(update.runId, { state: update.state, at: new Date(update.at), error: update.error }, update.attempt);
  };
}
