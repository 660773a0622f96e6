import type { Migration } from './index';

/**
 * The resources (cpu, memory, accelerator) each launch asked for, resolved from its task's inputs,
 * for a runner that can enforce them. Launches written before this, and launches of executors that
 * set none, have none.
 */
export const launchResources: Migration = {
  version: 4,
  name: 'launch-resources',
  sql: `
ALTER TABLE task_attempts ADD COLUMN resources jsonb;
`,
};
