import { initial } from './0001-initial';
import { taskPaths } from './0002-task-paths';
import { runInputArtifacts } from './0003-run-input-artifacts';
import { launchResources } from './0004-launch-resources';
import { taskStatistics } from './0005-task-statistics';
import { apiTokensAndRunNamespaces } from './0006-api-tokens';
import { recurringRuns } from './0011-recurring-runs';
import { taskCache } from './0012-task-cache';
import { runRetries } from './0013-run-retries';
import { recurringRunTriggerSeconds } from './0014-recurring-run-trigger-seconds';
import { taskReadIndexes } from './0015-task-read-indexes';

/**
 * One schema change. Migrations are TypeScript modules holding SQL text (not `.sql` files) so
 * `tsc` carries them into dist/ with no copy step. An applied migration is frozen history: never
 * edit it, add the next version instead.
 */
export interface Migration {
  /** Applied in ascending order; recorded in `schema_migrations`. */
  version: number;
  name: string;
  /** One or more statements, run in the migration transaction. Constants only, never input. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [initial, taskPaths, runInputArtifacts, launchResources, taskStatistics, apiTokensAndRunNamespaces, recurringRuns, taskCache, runRetries, recurringRunTriggerSeconds, taskReadIndexes];
