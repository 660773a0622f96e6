import { Pool } from 'pg';
import { isFinal, type RunState, type TaskState } from '../ir/states';
import type { TaskTransition } from '../activities/types';
import { StoreConflictError, StoreNotFoundError } from './errors';
import { DEFAULT_EXPERIMENT_ID } from './ids';
import { migrate as runMigrations } from './migrate';
import { Filter, LISTINGS, pageQuery, type Listing } from './pagination';
import { rethrowBadCursor, rethrowConstraint } from './pg-errors';
import {
  jsonParam,
  toArtifact,
  toCacheEntry,
  toExperiment,
  toLineage,
  toPipeline,
  toPipelineVersion,
  toRecurringRun,
  toRun,
  toRunSummary,
  toTask,
  withHistoryRows,
  type ArtifactRow,
  type CacheEntryRow,
  type ExperimentRow,
  type LineageRow,
  type PipelineRow,
  type PipelineVersionRow,
  type RecurringRunRow,
  type RunRow,
  type RunStateRow,
  type RunSummaryRow,
  type TaskRow,
} from './rows';
import { insertApiToken, listApiTokens, readApiToken, revokeApiToken, touchApiToken } from './api-tokens';
import { STORE_TYPES } from './pg-timestamps';
import { countTasksByState, listTaskAttempts, listTaskChildren, listTaskPage, listTaskPageViews, listTasks, summariseTasks } from './task-reads';
import { recordLaunch, recordTaskTransitions } from './task-writes';
import { claimRunRetry, releaseRunRetry, reopenRunTasks } from './run-retries';
import { withTransaction, type Queryable } from './transaction';
import type {
  ApiTokenRecord,
  ArtifactRecord,
  CacheEntry,
  CacheEntryFilter,
  CacheScope,
  ExperimentRecord,
  LaunchRecord,
  LineageEdge,
  ListOptions,
  MetadataStore,
  NamespaceFilter,
  Page,
  PipelineRecord,
  PipelineVersionRecord,
  RecurringRunFilter,
  RecurringRunRecord,
  RetryClaim,
  RunFilter,
  RunRecord,
  RunStateChange,
  RunSummary,
  TaskAttemptRecord,
  TaskChildren,
  TaskPageOptions,
  TaskPageViews,
  TaskRecord,
  TaskSummary,
} from './types';

export interface PgStoreOptions {
  /** Maximum pooled connections. @default 10 */
  max?: number;
}

type NewPipeline = Omit<PipelineRecord, 'createdAt'>;
type NewPipelineVersion = Omit<PipelineVersionRecord, 'createdAt'>;
type NewRun = Parameters<MetadataStore['createRun']>[0];

/**
 * The metadata store on PostgreSQL. Every write is one statement or one transaction and is safe
 * to repeat. Pipelines and experiments without an explicit namespace live in `''`, KFP's
 * single-user namespace. Row ↔ record conversion lives in `rows.ts`, paging in `pagination.ts`.
 */
export class PgStore implements MetadataStore {
  private constructor(private readonly pool: Pool) {}

  /**
   * Opens a pool on `url` and checks one connection, so a bad URL or a down server fails here
   * rather than on first use. Does not migrate: call `migrate()` on start.
   */
  static async connect(url: string, opts: PgStoreOptions = {}): Promise<PgStore> {
    const pool = new Pool({ connectionString: url, max: opts.max ?? 10, types: STORE_TYPES });
    // An idle client whose connection drops emits 'error' on the pool, which would crash the
    // process if unhandled. The pool discards that client; the next query reconnects or fails.
    pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PgStore(pool);
  }

  async migrate(): Promise<void> {
    await runMigrations(this.pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  // Pipelines and versions.

  /** Idempotent on `pipelineId`. Throws `StoreConflictError` (`name`) if another pipeline has the name. */
  createPipeline(p: NewPipeline): Promise<PipelineRecord> {
    return insertPipeline(this.pool, p);
  }

  async getPipeline(pipelineId: string): Promise<PipelineRecord | undefined> {
    const { rows } = await this.pool.query<PipelineRow>('SELECT * FROM pipelines WHERE pipeline_id = $1', [pipelineId]);
    return rows[0] && toPipeline(rows[0]);
  }

  /** `namespace` defaults to `''`, KFP's single-user namespace. */
  async getPipelineByName(name: string, namespace = ''): Promise<PipelineRecord | undefined> {
    const { rows } = await this.pool.query<PipelineRow>('SELECT * FROM pipelines WHERE namespace = $1 AND name = $2', [
      namespace,
      name,
    ]);
    return rows[0] && toPipeline(rows[0]);
  }

  listPipelines(opts: ListOptions & NamespaceFilter): Promise<Page<PipelineRecord>> {
    return this.page(LISTINGS.pipelines, inNamespaces(new Filter(), opts.namespaces), opts, (rows: PipelineRow[]) => rows.map(toPipeline));
  }

  async deletePipeline(pipelineId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM pipelines WHERE pipeline_id = $1', [pipelineId]);
    return rowCount === 1;
  }

  /**
   * Idempotent on `pipelineVersionId`. Throws `StoreConflictError` (`name`) if the pipeline has
   * another version of that name, `StoreNotFoundError` if the pipeline does not exist.
   */
  createPipelineVersion(v: NewPipelineVersion): Promise<PipelineVersionRecord> {
    return insertPipelineVersion(this.pool, v);
  }

  createPipelineWithVersion(
    p: NewPipeline,
    v: Omit<NewPipelineVersion, 'pipelineId'>,
  ): Promise<{ pipeline: PipelineRecord; version: PipelineVersionRecord }> {
    return withTransaction(this.pool, async (client) => {
      const pipeline = await insertPipeline(client, p);
      const version = await insertPipelineVersion(client, { ...v, pipelineId: pipeline.pipelineId });
      return { pipeline, version };
    });
  }

  async getPipelineVersion(pipelineId: string, versionId: string): Promise<PipelineVersionRecord | undefined> {
    const { rows } = await this.pool.query<PipelineVersionRow>(
      'SELECT * FROM pipeline_versions WHERE pipeline_id = $1 AND pipeline_version_id = $2',
      [pipelineId, versionId],
    );
    return rows[0] && toPipelineVersion(rows[0]);
  }

  listPipelineVersions(pipelineId: string, opts: ListOptions): Promise<Page<PipelineVersionRecord>> {
    const filter = new Filter().equals('pipeline_id', pipelineId);
    return this.page(LISTINGS.pipelineVersions, filter, opts, (rows: PipelineVersionRow[]) => rows.map(toPipelineVersion));
  }

  async deletePipelineVersion(pipelineId: string, versionId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'DELETE FROM pipeline_versions WHERE pipeline_id = $1 AND pipeline_version_id = $2',
      [pipelineId, versionId],
    );
    return rowCount === 1;
  }

  // Experiments.

  /** Throws `StoreNotFoundError` only if `migrate()` has never run on this database. */
  async getDefaultExperiment(): Promise<ExperimentRecord> {
    const experiment = await this.getExperiment(DEFAULT_EXPERIMENT_ID);
    if (!experiment) throw new StoreNotFoundError('experiment', DEFAULT_EXPERIMENT_ID);
    return experiment;
  }

  /**
   * Idempotent on `experimentId`. Throws `StoreConflictError` (`displayName`) if another
   * experiment in the namespace has the display name.
   */
  async createExperiment(
    e: Pick<ExperimentRecord, 'experimentId' | 'displayName' | 'description' | 'namespace'>,
  ): Promise<ExperimentRecord> {
    const { rows } = await this.pool
      .query<ExperimentRow>(
        // The no-op update makes RETURNING yield the stored row when the id already exists.
        `INSERT INTO experiments (experiment_id, display_name, description, namespace) VALUES ($1, $2, $3, $4)
         ON CONFLICT (experiment_id) DO UPDATE SET experiment_id = EXCLUDED.experiment_id
         RETURNING *`,
        [e.experimentId, e.displayName, e.description, e.namespace],
      )
      .catch(rethrowConstraint(e));
    return toExperiment(rows[0]);
  }

  async getExperiment(experimentId: string): Promise<ExperimentRecord | undefined> {
    const { rows } = await this.pool.query<ExperimentRow>('SELECT * FROM experiments WHERE experiment_id = $1', [
      experimentId,
    ]);
    return rows[0] && toExperiment(rows[0]);
  }

  listExperiments(opts: ListOptions & NamespaceFilter): Promise<Page<ExperimentRecord>> {
    return this.page(LISTINGS.experiments, inNamespaces(new Filter(), opts.namespaces), opts, (rows: ExperimentRow[]) => rows.map(toExperiment));
  }

  /**
   * Deletes the experiment but not its runs (as KFP does). Throws `StoreConflictError` for the
   * `Default` experiment, which must always exist.
   */
  async deleteExperiment(experimentId: string): Promise<boolean> {
    if (experimentId === DEFAULT_EXPERIMENT_ID) {
      throw new StoreConflictError('experiment', 'experimentId', experimentId, 'the Default experiment cannot be deleted');
    }
    const { rowCount } = await this.pool.query('DELETE FROM experiments WHERE experiment_id = $1', [experimentId]);
    return rowCount === 1;
  }

  /**
   * As in KFP, archiving an experiment also archives its runs and disables its recurring runs;
   * restoring it leaves them archived and disabled. All happens in one statement.
   */
  async setExperimentStorageState(experimentId: string, state: 'AVAILABLE' | 'ARCHIVED', at = new Date()): Promise<boolean> {
    const { rows } = await this.pool.query<{ updated: number }>(
      `WITH experiment AS (
         UPDATE experiments SET storage_state = $2 WHERE experiment_id = $1 RETURNING experiment_id
       ), archived_runs AS (
         UPDATE runs SET storage_state = 'ARCHIVED'
         WHERE $2 = 'ARCHIVED' AND experiment_id IN (SELECT experiment_id FROM experiment)
       ), disabled_recurring_runs AS (
         UPDATE recurring_runs SET mode = 'DISABLE', updated_at = $3
         WHERE $2 = 'ARCHIVED' AND mode <> 'DISABLE' AND experiment_id IN (SELECT experiment_id FROM experiment)
       )
       SELECT count(*)::int AS updated FROM experiment`,
      [experimentId, state, at],
    );
    return rows[0].updated === 1;
  }

  // Runs.

  /**
   * Idempotent on `runId`: a second call returns the stored run unchanged. The first call also
   * records the initial state in the history (and `finishedAt` if it is final) and moves the
   * experiment's `lastRunCreatedAt` forward.
   */
  createRun(r: NewRun): Promise<RunRecord> {
    return withTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO runs (run_id, display_name, description, experiment_id, pipeline_id, pipeline_version_id,
                           spec, parameters, pipeline_root, state, created_at, scheduled_at, finished_at,
                           pipeline_name, platform_spec, input_artifacts, recurring_run_id, namespace)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 COALESCE((SELECT namespace FROM experiments WHERE experiment_id = $4), ''))
         ON CONFLICT (run_id) DO NOTHING`,
        [
          r.runId,
          r.displayName,
          r.description,
          r.experimentId,
          r.pipelineId ?? null,
          r.pipelineVersionId ?? null,
          jsonParam(r.spec),
          jsonParam(r.parameters),
          r.pipelineRoot ?? null,
          r.state,
          r.createdAt,
          r.scheduledAt,
          isFinal(r.state) ? r.createdAt : null,
          r.spec.pipelineInfo.name,
          jsonParam(r.platformSpec),
          jsonParam(r.inputArtifacts ?? {}),
          r.recurringRunId ?? null,
        ],
      );
      if (rowCount === 1) {
        await client.query('INSERT INTO run_state_history (run_id, state, at) VALUES ($1, $2, $3)', [
          r.runId,
          r.state,
          r.createdAt,
        ]);
      }
      const run = (await readRun(client, r.runId)) as RunRecord;
      // Last, just before COMMIT: every creation in an experiment updates its one row, whose lock
      // is held until COMMIT, so anything after this would serialise concurrent creations.
      if (rowCount === 1) {
        await client.query(
          `UPDATE experiments SET last_run_created_at = GREATEST(last_run_created_at, $2)
           WHERE experiment_id = $1`,
          [r.experimentId, r.createdAt],
        );
      }
      return run;
    });
  }

  async countByState(): ReturnType<MetadataStore['countByState']> {
    // Tasks of finished runs only grow; the unfinished runs' tasks are the live picture, and the
    // runs(state) and tasks(run_id) indexes keep this cheap however many runs have finished.
    const [runs, tasks] = await Promise.all([
      this.pool.query<{ state: RunState; n: number }>('SELECT state, count(*)::int AS n FROM runs GROUP BY state'),
      this.pool.query<{ state: TaskState; n: number }>(
        `SELECT t.state, count(*)::int AS n FROM tasks t JOIN runs r USING (run_id)
          WHERE r.state IN ('PENDING', 'RUNNING', 'CANCELING', 'PAUSED') GROUP BY t.state`,
      ),
    ]);
    return {
      runs: Object.fromEntries(runs.rows.map((r) => [r.state, r.n])),
      activeTasks: Object.fromEntries(tasks.rows.map((r) => [r.state, r.n])),
    };
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return readRun(this.pool, runId);
  }

  async getRunNamespace(runId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ namespace: string }>('SELECT namespace FROM runs WHERE run_id = $1', [runId]);
    return rows[0]?.namespace;
  }

  /** An empty `states` list does not filter, like an absent one. */
  listRuns(filter: RunFilter, opts: ListOptions): Promise<Page<RunSummary>> {
    const where = new Filter();
    if (filter.experimentId !== undefined) where.equals('experiment_id', filter.experimentId);
    if (filter.recurringRunId !== undefined) where.equals('recurring_run_id', filter.recurringRunId);
    if (filter.states?.length) where.anyOf('state', filter.states);
    if (filter.storageState !== undefined) where.equals('storage_state', filter.storageState);
    inNamespaces(where, filter.namespaces);
    return this.page(LISTINGS.runs, where, opts, (rows: RunSummaryRow[]) => withHistory(this.pool, rows, toRunSummary));
  }

  /**
   * Appends `change` to the history unless the run already went through that state in its
   * current attempt, then makes it the run's state, all under the run's row lock. A run in a
   * final state is frozen: any later change (a replay, a late retry, another final state) is
   * ignored, so its attempt's history ends at its final state; so is a change from another
   * attempt than the current one. Throws `StoreNotFoundError` if the run does not exist.
   */
  recordRunState(runId: string, change: RunStateChange, attempt?: number): Promise<void> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ state: RunState; retry_count: number }>(
        'SELECT state, retry_count FROM runs WHERE run_id = $1 FOR UPDATE',
        [runId],
      );
      if (!rows[0]) throw new StoreNotFoundError('run', runId);
      if (isFinal(rows[0].state) || (attempt !== undefined && attempt !== rows[0].retry_count)) return;
      const { rowCount } = await client.query(
        `INSERT INTO run_state_history (run_id, state, at, error, attempt) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (run_id, attempt, state) DO NOTHING`,
        [runId, change.state, change.at, jsonParam(change.error), rows[0].retry_count],
      );
      // Already recorded: this is a replay, and the run is in that state or has moved past it.
      if (rowCount === 0) return;
      await client.query(
        `UPDATE runs SET state = $2, error = COALESCE($3::jsonb, error), finished_at = $4 WHERE run_id = $1`,
        [runId, change.state, jsonParam(change.error), isFinal(change.state) ? change.at : null],
      );
    });
  }

  claimRunRetry(runId: string, at: Date): Promise<RetryClaim> {
    return withTransaction(this.pool, (client) => claimRunRetry(client, runId, at));
  }

  releaseRunRetry(runId: string, claim: Extract<RetryClaim, { claimed: true }>): Promise<void> {
    return withTransaction(this.pool, (client) => releaseRunRetry(client, runId, claim));
  }

  reopenRunTasks(runId: string, attempt: number, at: Date): Promise<boolean> {
    return withTransaction(this.pool, (client) => reopenRunTasks(client, runId, attempt, at));
  }

  async setRunStorageState(runId: string, state: 'AVAILABLE' | 'ARCHIVED'): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE runs SET storage_state = $2 WHERE run_id = $1', [runId, state]);
    return rowCount === 1;
  }

  /** Deletes the run with its history, tasks, attempts, artifacts and lineage. */
  async deleteRun(runId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM runs WHERE run_id = $1', [runId]);
    return rowCount === 1;
  }

  // Recurring runs.

  /** Idempotent on `recurringRunId`: a second call returns the stored row unchanged. */
  async createRecurringRun(r: Omit<RecurringRunRecord, 'updatedAt'>): Promise<RecurringRunRecord> {
    const { rows } = await this.pool.query<RecurringRunRow>(
      // The no-op update makes RETURNING yield the stored row when the id already exists.
      `INSERT INTO recurring_runs (recurring_run_id, display_name, description, pipeline_id, pipeline_version_id, pipeline_spec,
                                   runtime_config, max_concurrency, trigger, mode, no_catchup, experiment_id, namespace,
                                   created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
       ON CONFLICT (recurring_run_id) DO UPDATE SET recurring_run_id = EXCLUDED.recurring_run_id
       RETURNING *`,
      [
        r.recurringRunId,
        r.displayName,
        r.description,
        r.pipelineId ?? null,
        r.pipelineVersionId ?? null,
        jsonParam(r.pipelineSpec),
        jsonParam(r.runtimeConfig),
        r.maxConcurrency,
        jsonParam(r.trigger),
        r.mode,
        r.noCatchup,
        r.experimentId,
        r.namespace,
        r.createdAt,
      ],
    );
    return toRecurringRun(rows[0]);
  }

  async getRecurringRun(recurringRunId: string): Promise<RecurringRunRecord | undefined> {
    const { rows } = await this.pool.query<RecurringRunRow>('SELECT * FROM recurring_runs WHERE recurring_run_id = $1', [recurringRunId]);
    return rows[0] && toRecurringRun(rows[0]);
  }

  listRecurringRuns(filter: RecurringRunFilter, opts: ListOptions): Promise<Page<RecurringRunRecord>> {
    const where = new Filter();
    if (filter.experimentId !== undefined) where.equals('experiment_id', filter.experimentId);
    if (filter.mode !== undefined) where.equals('mode', filter.mode);
    inNamespaces(where, filter.namespaces);
    return this.page(LISTINGS.recurringRuns, where, opts, (rows: RecurringRunRow[]) => rows.map(toRecurringRun));
  }

  /** Repeating the same mode changes nothing, not even `updatedAt`. */
  async setRecurringRunMode(recurringRunId: string, mode: RecurringRunRecord['mode'], at: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE recurring_runs SET mode = $2, updated_at = CASE WHEN mode = $2 THEN updated_at ELSE $3 END WHERE recurring_run_id = $1`,
      [recurringRunId, mode, at],
    );
    return rowCount === 1;
  }

  async claimTriggerSecond(recurringRunId: string, choose: (lastClaimed: number) => number): Promise<number | undefined> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ last_trigger_second: string }>(
        'SELECT last_trigger_second FROM recurring_runs WHERE recurring_run_id = $1 FOR UPDATE',
        [recurringRunId],
      );
      if (!rows[0]) return undefined;
      const last = Number(rows[0].last_trigger_second);
      const second = choose(last);
      if (!(second > last)) throw new Error(`a trigger second must come after the last claimed (${last}), not ${second}`);
      await client.query('UPDATE recurring_runs SET last_trigger_second = $2 WHERE recurring_run_id = $1', [recurringRunId, second]);
      return second;
    });
  }

  async deleteRecurringRun(recurringRunId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM recurring_runs WHERE recurring_run_id = $1', [recurringRunId]);
    return rowCount === 1;
  }

  // Tasks.

  recordTaskTransitions(runId: string, transitions: readonly TaskTransition[]): Promise<void> {
    return recordTaskTransitions(this.pool, runId, transitions);
  }

  recordLaunch(launch: LaunchRecord): Promise<void> {
    return recordLaunch(this.pool, launch);
  }

  listTasks(runId: string): Promise<TaskRecord[]> {
    return listTasks(this.pool, runId);
  }

  listTaskPage(runId: string, opts: TaskPageOptions): Promise<Page<TaskRecord>> {
    return listTaskPage(this.pool, runId, opts);
  }

  listTaskChildren(runId: string, parentTaskPaths: readonly string[], limit: number): Promise<TaskChildren[]> {
    return listTaskChildren(this.pool, runId, parentTaskPaths, limit);
  }

  listTaskPageViews(runId: string, opts: TaskPageOptions, limit: number): Promise<TaskPageViews> {
    return listTaskPageViews(this.pool, runId, opts, limit);
  }

  summariseTasks(runId: string, size: number, childLimit: number): Promise<TaskSummary> {
    return summariseTasks(this.pool, runId, size, childLimit);
  }

  countTasksByState(runId: string): Promise<Partial<Record<TaskState, number>>> {
    return countTasksByState(this.pool, runId);
  }

  async getTask(runId: string, taskPath: string): Promise<TaskRecord | undefined> {
    const { rows } = await this.pool.query<TaskRow>('SELECT * FROM tasks WHERE run_id = $1 AND task_path = $2', [
      runId,
      taskPath,
    ]);
    return rows[0] && toTask(rows[0]);
  }

  async getTaskById(runId: string, taskId: string): Promise<TaskRecord | undefined> {
    const { rows } = await this.pool.query<TaskRow>('SELECT * FROM tasks WHERE run_id = $1 AND task_id = $2', [runId, taskId]);
    return rows[0] && toTask(rows[0]);
  }

  /** Ordered by task path, then attempt. */
  listTaskAttempts(runId: string, taskPath?: string | readonly string[]): Promise<TaskAttemptRecord[]> {
    return listTaskAttempts(this.pool, runId, taskPath);
  }

  // Artifacts and lineage.

  async getArtifact(artifactId: string): Promise<ArtifactRecord | undefined> {
    const { rows } = await this.pool.query<ArtifactRow>('SELECT * FROM artifacts WHERE artifact_id = $1', [artifactId]);
    return rows[0] && toArtifact(rows[0]);
  }

  /** Artifacts first registered by the run, oldest first. */
  async listArtifacts(runId: string): Promise<ArtifactRecord[]> {
    const { rows } = await this.pool.query<ArtifactRow>('SELECT * FROM artifacts WHERE run_id = $1 ORDER BY created_at, uri', [
      runId,
    ]);
    return rows.map(toArtifact);
  }

  /** Ordered by task path, direction, key. */
  createApiToken(t: Parameters<MetadataStore['createApiToken']>[0]): Promise<ApiTokenRecord> {
    return insertApiToken(this.pool, t);
  }

  getApiToken(tokenId: string): ReturnType<MetadataStore['getApiToken']> {
    return readApiToken(this.pool, tokenId);
  }

  listApiTokens(): Promise<ApiTokenRecord[]> {
    return listApiTokens(this.pool);
  }

  revokeApiToken(tokenId: string, at: Date): Promise<boolean> {
    return revokeApiToken(this.pool, tokenId, at);
  }

  touchApiToken(tokenId: string, at: Date): Promise<void> {
    return touchApiToken(this.pool, tokenId, at);
  }

  async listLineage(runId: string): Promise<LineageEdge[]> {
    const { rows } = await this.pool.query<LineageRow>(
      'SELECT * FROM lineage WHERE run_id = $1 ORDER BY task_path, direction, key, artifact_id',
      [runId],
    );
    return rows.map(toLineage);
  }

  // The task cache.

  async findCacheEntry(scope: CacheScope, fingerprint: string): Promise<CacheEntry | undefined> {
    const { rows } = await this.pool.query<CacheEntryRow>(
      'SELECT * FROM cache_entries WHERE namespace = $1 AND pipeline_name = $2 AND fingerprint = $3',
      [scope.namespace, scope.pipelineName, fingerprint],
    );
    return rows[0] && toCacheEntry(rows[0]);
  }

  async listCacheEntries(filter: CacheEntryFilter, limit: number): Promise<Page<CacheEntry>> {
    const where = cacheEntryWhere(filter);
    const [items, total] = await Promise.all([
      this.pool.query<CacheEntryRow>(`SELECT * FROM cache_entries ${where.where()} ORDER BY created_at DESC, fingerprint LIMIT ${Math.max(0, Math.floor(limit))}`, where.values),
      this.pool.query<{ total: number }>(`SELECT count(*)::int AS total FROM cache_entries ${where.where()}`, where.values),
    ]);
    return { items: items.rows.map(toCacheEntry), totalSize: total.rows[0].total };
  }

  async deleteCacheEntries(filter: CacheEntryFilter): Promise<number> {
    const where = cacheEntryWhere(filter);
    const { rowCount } = await this.pool.query(`DELETE FROM cache_entries ${where.where()}`, where.values);
    return rowCount ?? 0;
  }

  /** Runs one keyset page of `listing` and its total, converting the page's rows with `convert`. */
  private async page<R extends object, T>(
    listing: Listing,
    filter: Filter,
    opts: ListOptions,
    convert: (rows: R[]) => T[] | Promise<T[]>,
  ): Promise<Page<T>> {
    const query = pageQuery(listing, filter, opts);
    const [{ rows }, count] = await Promise.all([
      this.pool.query<R & Record<string, unknown>>(query.rows.text, query.rows.values).catch(rethrowBadCursor),
      this.pool.query<{ total: number }>(query.count.text, query.count.values),
    ]);
    const cut = query.cut(rows);
    return { items: await convert(cut.rows), totalSize: count.rows[0].total, nextPageToken: cut.nextPageToken };
  }
}

async function insertPipeline(db: Queryable, p: NewPipeline): Promise<PipelineRecord> {
  const { rows } = await db
    .query<PipelineRow>(
      // The no-op update makes RETURNING yield the stored row when the id already exists.
      `INSERT INTO pipelines (pipeline_id, name, display_name, description, namespace) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (pipeline_id) DO UPDATE SET pipeline_id = EXCLUDED.pipeline_id
       RETURNING *`,
      [p.pipelineId, p.name, p.displayName, p.description, p.namespace],
    )
    .catch(rethrowConstraint(p));
  return toPipeline(rows[0]);
}

async function insertPipelineVersion(db: Queryable, v: NewPipelineVersion): Promise<PipelineVersionRecord> {
  const { rows } = await db
    .query<PipelineVersionRow>(
      `INSERT INTO pipeline_versions (pipeline_version_id, pipeline_id, name, display_name, description, spec, platform_spec)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (pipeline_version_id) DO UPDATE SET pipeline_version_id = EXCLUDED.pipeline_version_id
       RETURNING *`,
      [v.pipelineVersionId, v.pipelineId, v.name, v.displayName, v.description, jsonParam(v.spec), jsonParam(v.platformSpec)],
    )
    .catch(rethrowConstraint(v));
  return toPipelineVersion(rows[0]);
}

async function readRun(db: Queryable, runId: string): Promise<RunRecord | undefined> {
  const { rows } = await db.query<RunRow>('SELECT * FROM runs WHERE run_id = $1', [runId]);
  const [run] = await withHistory(db, rows, toRun);
  return run;
}

/**
 * Converts `runs` with `convert`, attaching each run's state history (oldest first, attempt by
 * attempt: the API's and the workers' clocks may disagree) from one query for all of them.
 */
async function withHistory<R extends RunSummaryRow, T>(db: Queryable, runs: R[], convert: (run: R, history: RunStateRow[]) => T): Promise<T[]> {
  if (runs.length === 0) return [];
  const { rows } = await db.query<RunStateRow>(
    'SELECT run_id, state, at, error FROM run_state_history WHERE run_id = ANY($1) ORDER BY attempt, at, seq',
    [runs.map((r) => r.run_id)],
  );
  return withHistoryRows(runs, rows, convert);
}

/** Keeps rows of the given namespaces; undefined keeps all. */
function inNamespaces(filter: Filter, namespaces: NamespaceFilter['namespaces']): Filter {
  return namespaces ? filter.anyOf('namespace', namespaces) : filter;
}

/** A cache entry filter as a WHERE clause: each set field must match. */
function cacheEntryWhere(filter: CacheEntryFilter): Filter {
  const where = inNamespaces(new Filter(), filter.namespaces);
  if (filter.pipelineName !== undefined) where.equals('pipeline_name', filter.pipelineName);
  if (filter.fingerprint !== undefined) where.equals('fingerprint', filter.fingerprint);
  return where;
}
