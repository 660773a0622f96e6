import { RUN_STATES, isFinal, type RunState } from '../ir/states';
import { StoreNotFoundError } from './errors';
import { jsonParam } from './rows';
import type { Queryable } from './transaction';
import type { RetryClaim, RunError } from './types';

/** The run states a retry may start from: KFP retries a failed or terminated (Argo: Failed/Error) workflow. */
export const RETRYABLE_RUN_STATES: readonly RunState[] = ['FAILED', 'CANCELED'];

/** Passed as a parameter so the SQL and `isFinal` can never disagree about which launch states are final. */
const FINAL_STATES = RUN_STATES.filter(isFinal);

interface LockedRun {
  state: RunState;
  retry_count: number;
  storage_state: string;
  finished_at: Date | null;
  error: RunError | null;
}

async function lockRun(db: Queryable, runId: string): Promise<LockedRun> {
  const { rows } = await db.query<LockedRun>(
    'SELECT state, retry_count, storage_state, finished_at, error FROM runs WHERE run_id = $1 FOR UPDATE',
    [runId],
  );
  if (!rows[0]) throw new StoreNotFoundError('run', runId);
  return rows[0];
}

/** Makes `attempt` the run's current attempt, RUNNING again with no finish time or error, in its history too. */
async function reopen(db: Queryable, runId: string, attempt: number, at: Date): Promise<void> {
  await db.query(`UPDATE runs SET state = 'RUNNING', retry_count = $2, finished_at = NULL, error = NULL WHERE run_id = $1`, [runId, attempt]);
  await db.query(
    `INSERT INTO run_state_history (run_id, state, at, attempt) VALUES ($1, 'RUNNING', $2, $3)
     ON CONFLICT (run_id, attempt, state) DO NOTHING`,
    [runId, at, attempt],
  );
}

/**
 * Claims the run's next attempt for a retry (see `MetadataStore.claimRunRetry`); `db` must be a
 * transaction. The run's row lock orders concurrent claims: the first moves the run to RUNNING,
 * so every later one finds it RUNNING and is refused.
 */
export async function claimRunRetry(db: Queryable, runId: string, at: Date): Promise<RetryClaim> {
  const run = await lockRun(db, runId);
  if (run.storage_state === 'ARCHIVED') return { claimed: false, state: run.state, archived: true };
  if (!RETRYABLE_RUN_STATES.includes(run.state)) return { claimed: false, state: run.state, archived: false };
  const attempt = run.retry_count + 1;
  await reopen(db, runId, attempt, at);
  return { claimed: true, attempt, previous: { state: run.state, finishedAt: run.finished_at ?? undefined, error: run.error ?? undefined } };
}

/**
 * Undoes a claim whose workflow never started (see `MetadataStore.releaseRunRetry`); `db` must be
 * a transaction. Only while the claim is still the run's latest and nothing has moved it on.
 */
export async function releaseRunRetry(db: Queryable, runId: string, claim: Extract<RetryClaim, { claimed: true }>): Promise<void> {
  const run = await lockRun(db, runId);
  if (run.retry_count !== claim.attempt || run.state !== 'RUNNING') return;
  const { previous } = claim;
  await db.query('UPDATE runs SET state = $2, retry_count = $3, finished_at = $4, error = $5::jsonb WHERE run_id = $1', [
    runId,
    previous.state,
    claim.attempt - 1,
    previous.finishedAt ?? null,
    jsonParam(previous.error),
  ]);
  await db.query('DELETE FROM run_state_history WHERE run_id = $1 AND attempt = $2', [runId, claim.attempt]);
}

/**
 * The retried workflow's first write (see `MetadataStore.reopenRunTasks`); `db` must be a
 * transaction. Returns false, changing nothing, when a later attempt has been claimed since.
 */
export async function reopenRunTasks(db: Queryable, runId: string, attempt: number, at: Date): Promise<boolean> {
  const run = await lockRun(db, runId);
  if (run.retry_count > attempt) return false;
  // The API's claim is gone (it released it after a start whose answer it lost) or never landed
  // (it died between the two): the workflow runs, so its attempt stands.
  if (run.retry_count < attempt) await reopen(db, runId, attempt, at);
  // Every task that did not succeed (or come from cache) runs again. Its next launch follows its
  // last finished one; an unfinished launch (a step still running after a forced end) is then
  // reattached rather than started twice.
  await db.query(
    `UPDATE tasks t SET state = 'PENDING', reason = NULL, error = NULL, started_at = NULL, finished_at = NULL,
            launch_base = COALESCE((SELECT max(a.attempt) FROM task_attempts a
                                    WHERE a.run_id = t.run_id AND a.task_path = t.task_path AND a.state = ANY($2::text[])), 0)
     WHERE t.run_id = $1 AND t.state <> 'SUCCEEDED' AND NOT (t.state = 'SKIPPED' AND t.cache->>'status' IS NOT DISTINCT FROM 'HIT')`,
    [runId, FINAL_STATES],
  );
  return true;
}
