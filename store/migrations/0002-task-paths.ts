import type { Migration } from './index';

/**
 * A task's identity becomes its path (`root/for-loop-2[17]/train`, see ir/task-path.ts), so
 * tasks of nested DAGs and loop iterations have rows of their own and the store can serve the
 * task tree. Rows written before this keep their meaning: a flat task name `n` was a task of the
 * root DAG, so it becomes `root/n` with display name `n`, and its `task_id` is recomputed as
 * `taskIdFor(run_id, path)` (ir/ids.ts: SHA-256 of `task`, run id and path joined by NUL, shaped
 * as a UUIDv8) so ids derived from paths agree with stored ones.
 *
 * Paths compare byte-wise (COLLATE "C"): a task listing is ordered by (parent path, iteration
 * index, path), which must not depend on the server's locale. Runs get `pipeline_name` and
 * `platform_spec` columns so listing runs never reads the spec.
 */
export const taskPaths: Migration = {
  version: 2,
  name: 'task-paths',
  sql: `
ALTER TABLE tasks RENAME COLUMN task_name TO task_path;
ALTER TABLE task_attempts RENAME COLUMN task_name TO task_path;
ALTER TABLE lineage RENAME COLUMN task_name TO task_path;
ALTER TABLE artifacts RENAME COLUMN producer_task TO producer_task_path;

ALTER TABLE tasks ALTER COLUMN task_path TYPE text COLLATE "C";
ALTER TABLE tasks
  ADD COLUMN display_name     text,
  ADD COLUMN parent_task_path text COLLATE "C",
  ADD COLUMN kind             text NOT NULL DEFAULT 'CONTAINER'
    CONSTRAINT tasks_kind_check CHECK (kind IN ('CONTAINER', 'IMPORTER', 'DAG', 'LOOP', 'ITERATION')),
  ADD COLUMN iteration_index  integer,
  ADD COLUMN reason           text;

UPDATE tasks SET display_name = task_path, task_path = 'root/' || task_path;
UPDATE tasks SET task_id = (
  SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-8' || substr(h, 14, 3) || '-'
         || substr('89ab', ((position(substr(h, 17, 1) IN '0123456789abcdef') - 1) & 3) + 1, 1)
         || substr(h, 18, 3) || '-' || substr(h, 21, 12)
  FROM (SELECT encode(sha256(convert_to('task', 'UTF8') || decode('00', 'hex') || convert_to(run_id, 'UTF8')
                             || decode('00', 'hex') || convert_to(task_path, 'UTF8')), 'hex') AS h) AS digest
);
UPDATE task_attempts SET task_path = 'root/' || task_path;
UPDATE lineage SET task_path = 'root/' || task_path;
UPDATE artifacts SET producer_task_path = 'root/' || producer_task_path WHERE producer_task_path IS NOT NULL;
ALTER TABLE tasks ALTER COLUMN display_name SET NOT NULL;

-- The task listing's order and its parent filter: one index range per page.
CREATE INDEX tasks_run_parent_idx ON tasks (run_id, (COALESCE(parent_task_path, '')), (COALESCE(iteration_index, -1)), task_path);
-- parent_task_id in the API names a task by id.
CREATE INDEX tasks_run_task_id_idx ON tasks (run_id, task_id);

ALTER TABLE runs ADD COLUMN pipeline_name text, ADD COLUMN platform_spec jsonb;
UPDATE runs SET pipeline_name = COALESCE(spec->'pipelineInfo'->>'name', '');
ALTER TABLE runs ALTER COLUMN pipeline_name SET NOT NULL;
`,
};
