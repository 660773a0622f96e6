import type { Migration } from './index';

/**
 * The artifacts a run is given for its pipeline's input artifacts (`runtime_config.input_artifacts`),
 * kept as artifact ids by input name, as a task's inputs are. Runs written before this have none.
 */
export const runInputArtifacts: Migration = {
  version: 3,
  name: 'run-input-artifacts',
  sql: `
ALTER TABLE runs ADD COLUMN input_artifacts jsonb NOT NULL DEFAULT '{}';
`,
};
