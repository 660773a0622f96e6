import type { Migration } from './index';

/**
 * Two index changes that let `GET /runs/{id}` count a large run's tasks from indexes alone
 * (index-only scans, once vacuum has marked the pages all-visible), measured on a finished
 * 10,000-iteration loop (20,001 tasks):
 *
 * - The tree-order index (`tasks_run_parent_idx`, migration 0002) also carries the two columns
 *   its expressions read: PostgreSQL plans an index-only scan only when every column a query
 *   names is in the index, and does not see through `COALESCE(parent_task_path, '')` to the
 *   column. Counting the loop's 10,000 children read the heap (12 ms) and now reads the index
 *   (4.5 ms). Both columns are written once, at insert, so state updates stay heap-only (HOT).
 * - `(run_id, state)` serves the run's task counts by state: a scan of the run's rows in the
 *   heap (13 ms, PostgreSQL's CPU per `GET` 39 → 29 ms with both). It costs the HOT update of a
 *   task's state change (every index gets the new row version): ~20,000 such updates in that
 *   run, a few microseconds each, against a read that every dashboard poll makes.
 */
export const taskReadIndexes: Migration = {
  version: 15,
  name: 'task-read-indexes',
  sql: `
DROP INDEX tasks_run_parent_idx;
CREATE INDEX tasks_run_parent_idx ON tasks (run_id, (COALESCE(parent_task_path, '')), (COALESCE(iteration_index, -1)), task_path)
  INCLUDE (parent_task_path, iteration_index);
CREATE INDEX tasks_run_state_idx ON tasks (run_id, state);
`,
};
