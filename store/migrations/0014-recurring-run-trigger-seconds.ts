import type { Migration } from './index';

/**
 * `recurring_runs.last_trigger_second`: the latest second (Unix epoch) a `:trigger` of the
 * recurring run has claimed, 0 before any. Temporal names a triggered run after the second it
 * starts in, so every trigger claims a second of its own here, under the row's lock, and API
 * replicas sharing the database never hand out one second twice. It only moves forward.
 */
export const recurringRunTriggerSeconds: Migration = {
  version: 14,
  name: 'recurring-run-trigger-seconds',
  sql: `
ALTER TABLE recurring_runs ADD COLUMN last_trigger_second bigint NOT NULL DEFAULT 0;
`,
};
