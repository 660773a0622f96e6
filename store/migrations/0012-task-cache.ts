import type { Migration } from './index';

/**
 * The task cache (issue 9, point 2). `cache_entries` holds, per (namespace, pipeline name,
 * fingerprint), the newest successful execution of a step with that fingerprint, as KFP's
 * cache keeps tasks by fingerprint, pipeline name and namespace. One row per key: two
 * identical tasks that run at once both write it, and the later success stays. An entry goes
 * with the run that produced it (whose artifact rows and files it points at).
 *
 * `namespace` is the run's (`runs.namespace`, migration 6): a task looks up and writes entries
 * of its own run's namespace only.
 *
 * `tasks.cache` says why a task was or was not served from cache (status, reason, fingerprint,
 * and for a hit the run and task whose outputs it reused).
 */
export const taskCache: Migration = {
  version: 12,
  name: 'task-cache',
  sql: `
CREATE TABLE cache_entries (
  namespace     text NOT NULL DEFAULT '',
  pipeline_name text NOT NULL,
  fingerprint   text NOT NULL,
  run_id        text NOT NULL,
  task_path     text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (namespace, pipeline_name, fingerprint),
  CONSTRAINT cache_entries_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs ON DELETE CASCADE
);
CREATE INDEX cache_entries_run_id_idx ON cache_entries (run_id);
CREATE INDEX cache_entries_created_at_idx ON cache_entries (created_at DESC);
ALTER TABLE tasks ADD COLUMN cache jsonb;
`,
};
