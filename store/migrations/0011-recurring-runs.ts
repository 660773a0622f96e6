import type { Migration } from './index';

/**
 * Recurring runs (KFP's `RecurringRun`), each the record of one Temporal Schedule with the same id;
 * Temporal does the timing, this row is what the API lists. `trigger` and `runtime_config` keep
 * the request's own JSON (KFP shows them back as given). `namespace` defaults to KFP's
 * single-user namespace `''`, as experiments' does. A run started by a schedule carries its
 * `recurring_run_id`; no foreign key, because deleting a recurring run keeps its runs (as in KFP).
 */
export const recurringRuns: Migration = {
  version: 11,
  name: 'recurring-runs',
  sql: `
CREATE TABLE recurring_runs (
  recurring_run_id    text PRIMARY KEY,
  display_name        text NOT NULL,
  description         text NOT NULL DEFAULT '',
  pipeline_id         text,
  pipeline_version_id text,
  pipeline_spec       jsonb,
  runtime_config      jsonb NOT NULL DEFAULT '{}',
  max_concurrency     integer NOT NULL CHECK (max_concurrency >= 1),
  trigger             jsonb NOT NULL,
  mode                text NOT NULL CHECK (mode IN ('ENABLE', 'DISABLE')),
  no_catchup          boolean NOT NULL DEFAULT false,
  experiment_id       text NOT NULL,
  namespace           text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL
);
CREATE INDEX recurring_runs_experiment_created_at_idx ON recurring_runs (experiment_id, created_at, recurring_run_id);
CREATE INDEX recurring_runs_created_at_idx ON recurring_runs (created_at, recurring_run_id);

ALTER TABLE runs ADD COLUMN recurring_run_id text;
CREATE INDEX runs_recurring_run_id_idx ON runs (recurring_run_id, created_at, run_id) WHERE recurring_run_id IS NOT NULL;
`,
};
