import { Pool } from 'pg';
import { RUN_STATES, isFinal, type RunState } from '../ir/states';
import { StoreConflictError, StoreNotFoundError } from './errors';
import { DEFAULT_EXPERIMENT_ID, artifactIdFor, taskIdFor } from './ids';
import { migrate as runMigrations } from './migrate';
import { Filter, LISTINGS, pageQuery, type Listing } from './pagination';
import { rethrowBadCursor, rethrowConstraint } from './pg-errors';
import {
  jsonParam,
  toArtifact,
  toExperiment,
  toLineage,
  toPipeline,
  toPipelineVersion,
  toRuns,
  toTask,
  toTaskAttempt,
  type ArtifactRow,
  type ExperimentRow,
  type LineageRow,
  type PipelineRow,
  type PipelineVersionRow,
  type RunRow,
  type RunStateRow,
  type TaskAttemptRow,
  type TaskRow,
} from './rows';
import { withTransaction, type Queryable } from './transaction';
import type {
  ArtifactRecord,
  ExperimentRecord,
  LineageEdge,
  ListOptions,
  MetadataStore,
  Page,
  PipelineRecord,
  PipelineVersionRecord,
  RunFilter,
  RunRecord,
  RunStateChange,
  TaskAttemptRecord,
  TaskRecord,
} from './types';

/** Passed as a parameter so the SQL and `isFinal` can never disagree about which states are final. */
const FINAL_STATES = RUN_STATES.filter(isFinal);

export interface PgStoreOptions {
  /** Maximum pooled connections. @default 10 */
  max?: number;
}

type NewPipeline = Omit<PipelineRecord, 'createdAt'>;
type NewPipelineVersion = Omit<PipelineVersionRecord, 'createdAt'>;
type NewRun = Parameters<MetadataStore['createRun']>[0];
type TaskUpsert = Parameters<MetadataStore['upsertTask']>[0];
type TaskAttemptUpsert = Parameters<MetadataStore['upsertTaskAttempt']>[0];
type ArtifactUpsert = Parameters<MetadataStore['upsertArtifact']>[0];

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
    const pool = new Pool({ connectionString: url, max: opts.max ?? 10 });
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

  listPipelines(opts: ListOptions): Promise<Page<PipelineRecord>> {
    return this.page(LISTINGS.pipelines, new Filter(), opts, (rows: PipelineRow[]) => rows.map(toPipeline));
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

  listExperiments(opts: ListOptions): Promise<Page<ExperimentRecord>> {
    return this.page(LISTINGS.experiments, new Filter(), opts, (rows: ExperimentRow[]) => rows.map(toExperiment));
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
   * As in KFP, archiving an experiment also archives its runs; restoring it leaves them
   * archived. Both happen in one statement.
   */
  async setExperimentStorageState(experimentId: string, state: 'AVAILABLE' | 'ARCHIVED'): Promise<boolean> {
    const { rows } = await this.pool.query<{ updated: number }>(
      `WITH experiment AS (
         UPDATE experiments SET storage_state = $2 WHERE experiment_id = $1 RETURNING experiment_id
       ), archived_runs AS (
         UPDATE runs SET storage_state = 'ARCHIVED'
         WHERE $2 = 'ARCHIVED' AND experiment_id IN (SELECT experiment_id FROM experiment)
       )
       SELECT count(*)::int AS updated FROM experiment`,
      [experimentId, state],
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
                           spec, parameters, pipeline_root, state, created_at, scheduled_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
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
        ],
      );
      if (rowCount === 1) {
        await client.query('INSERT INTO run_state_history (run_id, state, at) VALUES ($1, $2, $3)', [
          r.runId,
          r.state,
          r.createdAt,
        ]);
        await client.query(
          `UPDATE experiments SET last_run_created_at = GREATEST(last_run_created_at, $2)
           WHERE experiment_id = $1`,
          [r.experimentId, r.createdAt],
        );
      }
      return (await readRun(client, r.runId)) as RunRecord;
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return readRun(this.pool, runId);
  }

  /** An empty `states` list does not filter, like an absent one. */
  listRuns(filter: RunFilter, opts: ListOptions): Promise<Page<RunRecord>> {
    const where = new Filter();
    if (filter.experimentId !== undefined) where.equals('experiment_id', filter.experimentId);
    if (filter.states?.length) where.anyOf('state', filter.states);
    if (filter.storageState !== undefined) where.equals('storage_state', filter.storageState);
    return this.page(LISTINGS.runs, where, opts, (rows: RunRow[]) => withHistory(this.pool, rows));
  }

  /**
   * Appends `change` to the history unless the run already went through that state, then makes
   * it the run's state, all under the run's row lock. A run in a final state is frozen: any
   * later change (a replay, a late retry, another final state) is ignored, so its history ends
   * at its final state. Throws `StoreNotFoundError` if the run does not exist.
   */
  recordRunState(runId: string, change: RunStateChange): Promise<void> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ state: RunState }>('SELECT state FROM runs WHERE run_id = $1 FOR UPDATE', [
        runId,
      ]);
      if (!rows[0]) throw new StoreNotFoundError('run', runId);
      if (isFinal(rows[0].state)) return;
      const { rowCount } = await client.query(
        `INSERT INTO run_state_history (run_id, state, at, error) VALUES ($1, $2, $3, $4)
         ON CONFLICT (run_id, state) DO NOTHING`,
        [runId, change.state, change.at, jsonParam(change.error)],
      );
      // Already recorded: this is a replay, and the run is in that state or has moved past it.
      if (rowCount === 0) return;
      await client.query(
        `UPDATE runs SET state = $2, error = COALESCE($3::jsonb, error), finished_at = $4 WHERE run_id = $1`,
        [runId, change.state, jsonParam(change.error), isFinal(change.state) ? change.at : null],
      );
    });
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

  // Tasks.

  /**
   * Inserts or merges the task row. On insert, omitted fields default to: `taskId` derived by
   * `taskIdFor`, `componentName` '', `state` PENDING, empty inputs and outputs, `attempts` 0,
   * `createdAt` now. On merge, `createdAt` keeps its first value and `attempts` the highest seen;
   * a write that would move a final state back to a non-final one is stale and dropped whole.
   * Throws `StoreNotFoundError` if the run does not exist.
   */
  async upsertTask(t: TaskUpsert): Promise<void> {
    await this.pool
      .query(
        `INSERT INTO tasks AS t (run_id, task_name, task_id, component_name, state, inputs, outputs, attempts,
                                 pod_name, error, created_at, started_at, finished_at)
         VALUES ($1, $2, COALESCE($3::text, $14::text), COALESCE($4::text, ''), COALESCE($5::text, 'PENDING'),
                 COALESCE($6::jsonb, '{"parameters": {}, "artifacts": {}}'), COALESCE($7::jsonb, '{"parameters": {}, "artifacts": {}}'),
                 COALESCE($8::int, 0), $9::text, $10::jsonb, COALESCE($11::timestamptz, now()), $12::timestamptz, $13::timestamptz)
         ON CONFLICT (run_id, task_name) DO UPDATE SET
           task_id        = COALESCE($3::text, t.task_id),
           component_name = COALESCE($4::text, t.component_name),
           state          = COALESCE($5::text, t.state),
           inputs         = COALESCE($6::jsonb, t.inputs),
           outputs        = COALESCE($7::jsonb, t.outputs),
           attempts       = GREATEST($8::int, t.attempts),
           pod_name       = COALESCE($9::text, t.pod_name),
           error          = COALESCE($10::jsonb, t.error),
           started_at     = COALESCE($12::timestamptz, t.started_at),
           finished_at    = COALESCE($13::timestamptz, t.finished_at)
         WHERE NOT ($15::boolean AND t.state = ANY($16::text[]))`,
        [
          t.runId,
          t.taskName,
          t.taskId ?? null,
          t.componentName ?? null,
          t.state ?? null,
          jsonParam(t.inputs),
          jsonParam(t.outputs),
          t.attempts ?? null,
          t.podName ?? null,
          jsonParam(t.error),
          t.createdAt ?? null,
          t.startedAt ?? null,
          t.finishedAt ?? null,
          taskIdFor(t.runId, t.taskName),
          regresses(t.state),
          FINAL_STATES,
        ],
      )
      .catch(rethrowConstraint(t));
  }

  /**
   * Inserts or merges one launch of a task, by the same rules as `upsertTask`. On insert,
   * omitted fields default to: `state` PENDING, `podName` and `logUri` '', `startedAt` now.
   * Throws `StoreNotFoundError` if the run does not exist.
   */
  async upsertTaskAttempt(a: TaskAttemptUpsert): Promise<void> {
    await this.pool
      .query(
        `INSERT INTO task_attempts AS a (run_id, task_name, attempt, state, pod_name, exit_code, error, log_uri,
                                         started_at, finished_at)
         VALUES ($1, $2, $3, COALESCE($4::text, 'PENDING'), COALESCE($5::text, ''), $6::int, $7::jsonb,
                 COALESCE($8::text, ''), COALESCE($9::timestamptz, now()), $10::timestamptz)
         ON CONFLICT (run_id, task_name, attempt) DO UPDATE SET
           state       = COALESCE($4::text, a.state),
           pod_name    = COALESCE($5::text, a.pod_name),
           exit_code   = COALESCE($6::int, a.exit_code),
           error       = COALESCE($7::jsonb, a.error),
           log_uri     = COALESCE($8::text, a.log_uri),
           started_at  = COALESCE($9::timestamptz, a.started_at),
           finished_at = COALESCE($10::timestamptz, a.finished_at)
         WHERE NOT ($11::boolean AND a.state = ANY($12::text[]))`,
        [
          a.runId,
          a.taskName,
          a.attempt,
          a.state ?? null,
          a.podName ?? null,
          a.exitCode ?? null,
          jsonParam(a.error),
          a.logUri ?? null,
          a.startedAt ?? null,
          a.finishedAt ?? null,
          regresses(a.state),
          FINAL_STATES,
        ],
      )
      .catch(rethrowConstraint(a));
  }

  /** Oldest first. */
  async listTasks(runId: string): Promise<TaskRecord[]> {
    const { rows } = await this.pool.query<TaskRow>('SELECT * FROM tasks WHERE run_id = $1 ORDER BY created_at, task_name', [
      runId,
    ]);
    return rows.map(toTask);
  }

  async getTask(runId: string, taskName: string): Promise<TaskRecord | undefined> {
    const { rows } = await this.pool.query<TaskRow>('SELECT * FROM tasks WHERE run_id = $1 AND task_name = $2', [
      runId,
      taskName,
    ]);
    return rows[0] && toTask(rows[0]);
  }

  /** Ordered by task name, then attempt. */
  async listTaskAttempts(runId: string, taskName?: string): Promise<TaskAttemptRecord[]> {
    const { rows } = await this.pool.query<TaskAttemptRow>(
      `SELECT * FROM task_attempts WHERE run_id = $1 AND ($2::text IS NULL OR task_name = $2)
       ORDER BY task_name, attempt`,
      [runId, taskName ?? null],
    );
    return rows.map(toTaskAttempt);
  }

  // Artifacts and lineage.

  /**
   * The id is `artifactIdFor(uri)`. The URI's first registration keeps its run, producer, output
   * key and creation time; name, type and metadata take the latest write, which describes the
   * payload now at that URI. Throws `StoreNotFoundError` if the run does not exist.
   */
  async upsertArtifact(a: ArtifactUpsert): Promise<ArtifactRecord> {
    const { rows } = await this.pool
      .query<ArtifactRow>(
        `INSERT INTO artifacts (artifact_id, uri, name, schema_title, schema_version, metadata, run_id,
                                producer_task, output_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (uri) DO UPDATE SET
           name           = EXCLUDED.name,
           schema_title   = EXCLUDED.schema_title,
           schema_version = EXCLUDED.schema_version,
           metadata       = EXCLUDED.metadata
         RETURNING *`,
        [
          artifactIdFor(a.uri),
          a.uri,
          a.name,
          a.schemaTitle,
          a.schemaVersion,
          jsonParam(a.metadata),
          a.runId,
          a.producerTask ?? null,
          a.outputKey ?? null,
        ],
      )
      .catch(rethrowConstraint(a));
    return toArtifact(rows[0]);
  }

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

  /** Throws `StoreNotFoundError` if the artifact or the run does not exist. */
  async addLineage(edge: LineageEdge): Promise<void> {
    await this.pool
      .query(
        `INSERT INTO lineage (artifact_id, run_id, task_name, direction, key) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [edge.artifactId, edge.runId, edge.taskName, edge.direction, edge.key],
      )
      .catch(rethrowConstraint(edge));
  }

  /** Ordered by task name, direction, key. */
  async listLineage(runId: string): Promise<LineageEdge[]> {
    const { rows } = await this.pool.query<LineageRow>(
      'SELECT * FROM lineage WHERE run_id = $1 ORDER BY task_name, direction, key, artifact_id',
      [runId],
    );
    return rows.map(toLineage);
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

/** True when `state` is given and not final: such a write must not land on a final row. */
function regresses(state: RunState | undefined): boolean {
  return state !== undefined && !isFinal(state);
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
  const [run] = await withHistory(db, rows);
  return run;
}

/** Attaches each run's state history, oldest change first, with one query for all of them. */
async function withHistory(db: Queryable, runs: RunRow[]): Promise<RunRecord[]> {
  if (runs.length === 0) return [];
  const { rows } = await db.query<RunStateRow>(
    'SELECT run_id, state, at, error FROM run_state_history WHERE run_id = ANY($1) ORDER BY at, seq',
    [runs.map((r) => r.run_id)],
  );
  return toRuns(runs, rows);
}
