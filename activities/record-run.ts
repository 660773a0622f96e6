import type { MetadataStore } from '../store/types';
import type { RunStateUpdate } from './types';

/**
 * Persists a run transition decided by the workflow. Tasks go first, so that a reader who sees
 * the run final also sees every task final. Both writes are idempotent and never regress a
 * final state, so a replayed or retried call is harmless.
 */
export function createRecordRunState(store: MetadataStore) {
  return async function recordRunState(update: RunStateUpdate): Promise<void> {
    for (const task of update.tasks ?? []) {
      await store.upsertTask({
        runId: update.runId,
        taskName: task.name,
        componentName: task.componentName,
        state: task.state,
        error: task.error,
        attempts: task.attempts,
        finishedAt: task.finishedAt ? new Date(task.finishedAt) : undefined,
      });
    }
    await store.recordRunState(update.runId, { state: update.state, at: new Date(update.at), error: update.error });
  };
}
