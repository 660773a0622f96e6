import type { Migration } from './index';

/**
 * The planner's statistics on tasks follow a run's growth closely. A run writes thousands of task
 * rows within seconds; until the table is analysed again the planner believes a run has a few
 * dozen, sorts all of them for a page instead of reading the tree-order index, and a
 * 10,000-task run's first page takes 28 ms instead of 9. Analysing after 2 % of the table (or
 * 500 rows) changed, instead of 10 %, keeps the estimate near the truth.
 */
export const taskStatistics: Migration = {
  version: 5,
  name: 'task-statistics',
  sql: `
ALTER TABLE tasks SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 500);
ALTER TABLE task_attempts SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 500);
`,
};
