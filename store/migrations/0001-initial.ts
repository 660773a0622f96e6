import type { Migration } from './index';

/**
 * The initial schema. Ids are text (UUIDs by convention) so a malformed id in a lookup is simply
 * not found rather than a cast error. Constraint names are spelled out because the store maps
 * violations to domain errors by name (`store/pg-errors.ts`).
 */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE pipelines (
  pipeline_id  text PRIMARY KEY,
  name         text NOT NULL,
  display_name text NOT NULL,
  description  text NOT NULL DEFAULT '',
  namespace    text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pipelines_namespace_name_key UNIQUE (namespace, name)
);

CREATE TABLE pipeline_versions (
  pipeline_version_id text PRIMARY KEY,
  pipeline_id   text NOT NULL,
  name          text NOT NULL,
  display_name  text NOT NULL,
  description   text NOT NULL DEFAULT '',
  spec          jsonb NOT NULL,
  platform_spec jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pipeline_versions_pipeline_id_fkey FOREIGN KEY (pipeline_id) REFERENCES pipelines ON DELETE CASCADE,
  CONSTRAINT pipeline_versions_pipeline_id_name_key UNIQUE (pipeline_id, name)
);

CREATE TABLE experiments (
  experiment_id       text PRIMARY KEY,
  display_name        text NOT NULL,
  description         text NOT NULL DEFAULT '',
  namespace           text NOT NULL DEFAULT '',
  storage_state       text NOT NULL DEFAULT 'AVAILABLE' CHECK (storage_state IN ('AVAILABLE', 'ARCHIVED')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  last_run_created_at timestamptz,
  CONSTRAINT experiments_namespace_display_name_key UNIQUE (namespace, display_name)
);

INSERT INTO experiments (experiment_id, display_name, description, namespace, storage_state)
VALUES ('00000000-0000-0000-0000-000000000001', 'Default',
        'All runs created without specifying an experiment will be grouped here.', '', 'AVAILABLE');

-- No foreign keys to experiments or pipelines: as in KFP, deleting either keeps its runs, and a
-- run carries its own copy of the spec.
CREATE TABLE runs (
  run_id              text PRIMARY KEY,
  display_name        text NOT NULL,
  description         text NOT NULL DEFAULT '',
  experiment_id       text NOT NULL,
  pipeline_id         text,
  pipeline_version_id text,
  spec                jsonb NOT NULL,
  parameters          jsonb NOT NULL DEFAULT '{}',
  pipeline_root       text,
  state               text NOT NULL CHECK (state IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELING', 'CANCELED', 'PAUSED')),
  error               jsonb,
  storage_state       text NOT NULL DEFAULT 'AVAILABLE' CHECK (storage_state IN ('AVAILABLE', 'ARCHIVED')),
  created_at          timestamptz NOT NULL,
  scheduled_at        timestamptz NOT NULL,
  finished_at         timestamptz
);
-- Keyset listing: each index ends in the tie-breaker run_id so a page seek is one index range.
CREATE INDEX runs_created_at_idx ON runs (created_at, run_id);
CREATE INDEX runs_experiment_created_at_idx ON runs (experiment_id, created_at, run_id);
CREATE INDEX runs_state_created_at_idx ON runs (state, created_at, run_id);

CREATE TABLE run_state_history (
  seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL,
  state  text NOT NULL,
  at     timestamptz NOT NULL,
  error  jsonb,
  CONSTRAINT run_state_history_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs ON DELETE CASCADE,
  CONSTRAINT run_state_history_run_id_state_key UNIQUE (run_id, state)
);

CREATE TABLE tasks (
  run_id         text NOT NULL,
  task_name      text NOT NULL,
  task_id        text NOT NULL,
  component_name text NOT NULL DEFAULT '',
  state          text NOT NULL CHECK (state IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELING', 'CANCELED', 'PAUSED')),
  inputs         jsonb NOT NULL,
  outputs        jsonb NOT NULL,
  attempts       integer NOT NULL DEFAULT 0,
  pod_name       text,
  error          jsonb,
  created_at     timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  finished_at    timestamptz,
  PRIMARY KEY (run_id, task_name),
  CONSTRAINT tasks_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs ON DELETE CASCADE
);

-- References the run, not the task, so an attempt may be recorded before its task row.
CREATE TABLE task_attempts (
  run_id      text NOT NULL,
  task_name   text NOT NULL,
  attempt     integer NOT NULL,
  state       text NOT NULL CHECK (state IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELING', 'CANCELED', 'PAUSED')),
  pod_name    text NOT NULL DEFAULT '',
  exit_code   integer,
  error       jsonb,
  log_uri     text NOT NULL DEFAULT '',
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (run_id, task_name, attempt),
  CONSTRAINT task_attempts_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs ON DELETE CASCADE
);

CREATE TABLE artifacts (
  artifact_id    text PRIMARY KEY,
  uri            text NOT NULL,
  name           text NOT NULL,
  schema_title   text NOT NULL,
  schema_version text NOT NULL,
  metadata       jsonb NOT NULL DEFAULT '{}',
  run_id         text NOT NULL,
  producer_task  text,
  output_key     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT artifacts_uri_key UNIQUE (uri),
  CONSTRAINT artifacts_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs ON DELETE CASCADE
);
CREATE INDEX artifacts_run_id_idx ON artifacts (run_id);

CREATE TABLE lineage (
  artifact_id text NOT NULL,
  run_id      text NOT NULL,
  task_name   text NOT NULL,
  direction   text NOT NULL CHECK (direction IN ('INPUT', 'OUTPUT')),
  key         text NOT NULL,
  PRIMARY KEY (artifact_id, run_id, task_name, direction, key),
  CONSTRAINT lineage_artifact_id_fkey FOREIGN KEY (artifact_id) REFERENCES artifacts ON DELETE CASCADE,
  CONSTRAINT lineage_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs ON DELETE CASCADE
);
CREATE INDEX lineage_run_id_idx ON lineage (run_id);
`,
};
