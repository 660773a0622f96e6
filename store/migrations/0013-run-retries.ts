import type { Migration } from './index';

/**
 * Retrying a failed run (`POST /runs/{id}:retry`) in place: the same run goes RUNNING again.
 *
 * - `runs.retry_count`: how many times the run was retried; retry k is the run's attempt k
 *   (its first execution is attempt 0). Claiming a retry raises it under the run's row lock,
 *   so of two retries at once only one claims attempt k.
 * - `run_state_history.attempt`: the run attempt a state belongs to. A state was unique per run;
 *   now it is unique per run attempt, so a retried run's history keeps its earlier FAILED and
 *   gains RUNNING and a final state again, and a replayed write of one attempt stays a no-op.
 * - `tasks.launch_base`: the launches a task had before the retry that reopened it. Its new
 *   launches are numbered after them (the failed ones stay recorded as earlier attempts), and
 *   its retry policy counts from there.
 */
export const runRetries: Migration = {
  version: 13,
  name: 'run-retries',
  sql: `
ALTER TABLE runs ADD COLUMN retry_count integer NOT NULL DEFAULT 0;
ALTER TABLE run_state_history ADD COLUMN attempt integer NOT NULL DEFAULT 0;
ALTER TABLE run_state_history DROP CONSTRAINT run_state_history_run_id_state_key;
ALTER TABLE run_state_history ADD CONSTRAINT run_state_history_run_id_attempt_state_key UNIQUE (run_id, attempt, state);
ALTER TABLE tasks ADD COLUMN launch_base integer NOT NULL DEFAULT 0;
`,
};
