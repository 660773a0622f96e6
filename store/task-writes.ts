import type { Pool } from 'pg';
import { RUN_STATES, isFinal } from '../ir/states';
import type { ArtifactRef, TaskOutputs } from '../ir/types';
import type { TaskTransition } from '../activities/types';
import { artifactIdFor, artifactIdsByKey, taskIdFor } from './ids';
import { rethrowConstraint } from './pg-errors';
import { jsonParam, type TaskRow } from './rows';
import { prepared, withTransaction, type Queryable } from './transaction';
import type { LaunchRecord, TaskRecord } from './types';

/**
 * The store's task writes: workflow transitions in batches, and launch outcomes. Both go
 * through one multi-row task upsert (`upsertTasks`), so they follow the same rules: a task in a
 * final state is never changed again, `started_at` is set only when the row has none, inputs
 * and outputs merge key by key, and `attempts` keeps the highest launch seen.
 */

/** Passed as a parameter so the SQL and `isFinal` can never disagree about which states are final. */
const FINAL_STATES = RUN_STATES.filter(isFinal);

type TaskIo = TaskRecord['inputs'];

/** One row for `upsertTasks`, in the JSON shape `jsonb_to_recordset` reads: times travel as text. */
/** `launch_base` is written only when a retry reopens the task (`run-retries.ts`). */
type TaskRowInput = Omit<TaskRow, 'run_id' | 'created_at' | 'started_at' | 'finished_at' | 'cache' | 'launch_base'> & {
  cache?: TaskRow['cache'];
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
};

/**
 * Inserts or merges `rows` (at most one per path) in one statement. On merge: `created_at`
 * and the first `started_at` stay; parameters and artifact ids merge into the stored inputs and
 * outputs (a write that carries none changes nothing); an error stays until the task succeeds.
 */
async function upsertTasks(db: Queryable, runId: string, rows: readonly TaskRowInput[]): Promise<void> {
  await runStatement(db, runId, tasksUpsert(runId, rows));
}

function tasksUpsert(runId: string, rows: readonly TaskRowInput[]): Statement {
  return {
    text: `INSERT INTO tasks AS t (run_id, task_path, task_id, display_name, parent_task_path, kind, iteration_index,
                               component_name, state, reason, error, inputs, outputs, attempts, pod_name,
                               cache, created_at, started_at, finished_at)
       SELECT $1, x.task_path, x.task_id, x.display_name, x.parent_task_path, x.kind, x.iteration_index,
              x.component_name, x.state, x.reason, x.error, x.inputs, x.outputs, x.attempts, x.pod_name,
              x.cache, x.created_at, x.started_at, x.finished_at
       FROM jsonb_to_recordset($2::jsonb) AS x(
         task_path text, task_id text, display_name text, parent_task_path text, kind text, iteration_index int,
         component_name text, state text, reason text, error jsonb, inputs jsonb, outputs jsonb, attempts int,
         pod_name text, cache jsonb, created_at timestamptz, started_at timestamptz, finished_at timestamptz)
       ON CONFLICT (run_id, task_path) DO UPDATE SET
         display_name     = EXCLUDED.display_name,
         parent_task_path = EXCLUDED.parent_task_path,
         kind             = EXCLUDED.kind,
         iteration_index  = EXCLUDED.iteration_index,
         component_name   = EXCLUDED.component_name,
         state            = EXCLUDED.state,
         reason           = COALESCE(EXCLUDED.reason, t.reason),
         error            = CASE WHEN EXCLUDED.state = 'SUCCEEDED' THEN NULL ELSE COALESCE(EXCLUDED.error, t.error) END,
         inputs           = jsonb_build_object(
                              'parameters', (t.inputs->'parameters') || (EXCLUDED.inputs->'parameters'),
                              'artifacts', (t.inputs->'artifacts') || (EXCLUDED.inputs->'artifacts')),
         outputs          = jsonb_build_object(
                              'parameters', (t.outputs->'parameters') || (EXCLUDED.outputs->'parameters'),
                              'artifacts', (t.outputs->'artifacts') || (EXCLUDED.outputs->'artifacts')),
         attempts         = GREATEST(t.attempts, EXCLUDED.attempts),
         pod_name         = COALESCE(EXCLUDED.pod_name, t.pod_name),
         cache            = COALESCE(EXCLUDED.cache, t.cache),
         started_at       = COALESCE(t.started_at, EXCLUDED.started_at),
         finished_at      = COALESCE(EXCLUDED.finished_at, t.finished_at)
       WHERE t.state <> ALL($3::text[])`,
    values: [runId, JSON.stringify(rows), FINAL_STATES],
  };
}

/**
 * Writes a batch of workflow transitions with one statement (see `MetadataStore.recordTaskTransitions`).
 * A statement is atomic, so the batch lands whole or not at all.
 */
export async function recordTaskTransitions(db: Queryable, runId: string, transitions: readonly TaskTransition[]): Promise<void> {
  if (transitions.length === 0) return;
  await upsertTasks(db, runId, collapse(transitions).map((t) => transitionRow(runId, t)));
}

/** A transition with the times its row takes from it and the transitions before it in the batch. */
interface Collapsed extends TaskTransition {
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

/**
 * One entry per task path, applying a path's transitions in order: a final state ends the
 * sequence (later ones are ignored, as the store would ignore them), the first RUNNING gives
 * the start time, and parameters merge. One INSERT … ON CONFLICT may not touch a row twice.
 */
function collapse(transitions: readonly TaskTransition[]): Collapsed[] {
  const byPath = new Map<string, Collapsed>();
  for (const t of transitions) {
    const prev = byPath.get(t.taskPath);
    if (prev && isFinal(prev.state)) continue;
    byPath.set(t.taskPath, {
      ...prev,
      ...t,
      reason: t.reason ?? prev?.reason,
      error: t.error ?? prev?.error,
      outputs: t.outputs ?? prev?.outputs,
      inputParameters: prev?.inputParameters || t.inputParameters ? { ...prev?.inputParameters, ...t.inputParameters } : undefined,
      createdAt: prev?.createdAt ?? t.at,
      startedAt: prev?.startedAt ?? (t.state === 'RUNNING' ? t.at : undefined),
      finishedAt: isFinal(t.state) ? t.at : undefined,
    });
  }
  return [...byPath.values()];
}

function transitionRow(runId: string, t: Collapsed): TaskRowInput {
  return {
    task_path: t.taskPath,
    task_id: taskIdFor(runId, t.taskPath),
    display_name: t.displayName,
    parent_task_path: t.parentTaskPath ?? null,
    kind: t.kind,
    iteration_index: t.iterationIndex ?? null,
    component_name: t.componentName,
    state: t.state,
    reason: t.reason ?? null,
    error: t.error ?? null,
    inputs: { parameters: t.inputParameters ?? {}, artifacts: {} },
    outputs: t.outputs ? outputIds(t.outputs) : { parameters: {}, artifacts: {} },
    attempts: 0,
    pod_name: null,
    created_at: t.createdAt,
    started_at: t.startedAt ?? null,
    finished_at: t.finishedAt ?? null,
  };
}

/** Outputs as stored: artifact refs become the ids their URIs give. */
function outputIds(outputs: TaskOutputs): TaskIo {
  return { parameters: outputs.parameters, artifacts: artifactIdsByKey(outputs.artifacts) };
}

/**
 * Writes one launch outcome (see `MetadataStore.recordLaunch`), all or nothing. Artifacts go
 * first (lineage and task rows name them), each set in URI order so concurrent launches sharing
 * artifacts lock them in one order. An input artifact already registered is left alone (no row
 * lock, so a fan-out of consumers does not queue on it); an output artifact takes the latest
 * name, type and metadata, which describe the payload now at its URI. The attempt, task and
 * cache entry rows go as one statement: a launch without artifacts (every start, most no-op
 * steps) is one round trip and no transaction.
 */
export async function recordLaunch(pool: Pool, launch: LaunchRecord): Promise<void> {
  const { runId, task, attempt, at } = launch;
  const inputs = artifactEntries(launch.inputArtifacts);
  const outputs = artifactEntries(launch.outputArtifacts);
  const atText = at.toISOString();
  const startedAt = launch.startedAt ?? at;
  const rows = oneStatement([
    ...(attempt ? [attemptUpsert(runId, task.taskPath, attempt, startedAt, at)] : []),
    ...(launch.cacheEntry ? [cacheEntryUpsert(runId, task.taskPath, launch.cacheEntry, at)] : []),
    tasksUpsert(runId, [
      {
        task_path: task.taskPath,
        task_id: taskIdFor(runId, task.taskPath),
        display_name: task.displayName,
        parent_task_path: task.parentTaskPath ?? null,
        kind: task.kind,
        iteration_index: null,
        component_name: task.componentName,
        state: task.state,
        reason: task.cache?.status === 'HIT' ? 'CACHED' : null,
        error: task.error ?? null,
        inputs: { parameters: task.inputParameters ?? {}, artifacts: idsByKey(inputs) },
        outputs: { parameters: task.outputParameters ?? {}, artifacts: idsByKey(outputs) },
        attempts: attempt?.attempt ?? 0,
        pod_name: attempt?.podName ?? null,
        cache: task.cache ?? null,
        created_at: atText,
        // A hit starts and ends at once; a launch starts with its RUNNING write, or carries its start.
        started_at: !attempt || attempt.state === 'RUNNING' || launch.startedAt ? startedAt.toISOString() : null,
        finished_at: isFinal(task.state) ? atText : null,
      },
    ]),
  ]);
  if (inputs.length === 0 && outputs.length === 0) return runStatement(pool, runId, rows);
  await withTransaction(pool, async (client) => {
    await registerArtifacts(client, runId, inputs, undefined);
    // A hit's outputs are its source's artifacts: they keep their producer.
    await registerArtifacts(client, runId, outputs, task.cache?.status === 'HIT' ? undefined : task.taskPath);
    await addLineage(client, runId, task.taskPath, [
      ...inputs.map((e) => ({ ...e, direction: 'INPUT' as const })),
      ...outputs.map((e) => ({ ...e, direction: 'OUTPUT' as const })),
    ]);
    await runStatement(client, runId, rows);
  });
}

/** One SQL statement and its parameters. */
interface Statement {
  text: string;
  values: unknown[];
}

/** Runs `statement` as a named prepared statement (`prepared`). */
function runStatement(db: Queryable, runId: string, statement: Statement): Promise<void> {
  return db.query(prepared(statement.text, statement.values)).then(() => undefined, rethrowConstraint({ runId }));
}

/**
 * Data-modifying statements as one: each but the last becomes a `WITH` query, its parameters
 * renumbered after those before it. PostgreSQL runs every one exactly once and to completion,
 * and foreign keys are checked at the end of the whole statement. All of them see one snapshot,
 * so this is only for statements on different tables that do not read each other's rows.
 */
function oneStatement(statements: readonly Statement[]): Statement {
  const values: unknown[] = [];
  const texts = statements.map((s) => {
    const offset = values.length;
    values.push(...s.values);
    return s.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
  });
  const last = texts.pop() as string;
  return { text: texts.length === 0 ? last : `WITH ${texts.map((t, i) => `w${i} AS (${t})`).join(',\n')}\n${last}`, values };
}

/** `startedAt` is the new row's start (the same row keeps its own); `at` ends a final one. */
function attemptUpsert(runId: string, taskPath: string, attempt: NonNullable<LaunchRecord['attempt']>, startedAt: Date, at: Date): Statement {
  return {
    text: `INSERT INTO task_attempts AS a (run_id, task_path, attempt, state, pod_name, exit_code, error, log_uri,
                                       started_at, finished_at, resources)
       VALUES ($1, $2, $3, $4, COALESCE($5::text, ''), $6::int, $7::jsonb, COALESCE($8::text, ''), $9, $10::timestamptz, $12::jsonb)
       ON CONFLICT (run_id, task_path, attempt) DO UPDATE SET
         state       = EXCLUDED.state,
         pod_name    = COALESCE($5::text, a.pod_name),
         exit_code   = COALESCE($6::int, a.exit_code),
         error       = COALESCE($7::jsonb, a.error),
         log_uri     = COALESCE($8::text, a.log_uri),
         finished_at = COALESCE($10::timestamptz, a.finished_at),
         resources   = COALESCE($12::jsonb, a.resources)
       WHERE a.state <> ALL($11::text[])`,
    values: [
      runId,
      taskPath,
      attempt.attempt,
      attempt.state,
      attempt.podName ?? null,
      attempt.exitCode ?? null,
      jsonParam(attempt.error),
      attempt.logUri ?? null,
      startedAt,
      isFinal(attempt.state) ? at : null,
      FINAL_STATES,
      jsonParam(attempt.resources),
    ],
  };
}

/**
 * Makes this execution the entry for its key, unless the entry is already a newer one: two
 * identical tasks that succeed at about the same time leave the later one, in either order.
 * Repeating the write changes nothing.
 */
function cacheEntryUpsert(runId: string, taskPath: string, entry: NonNullable<LaunchRecord['cacheEntry']>, at: Date): Statement {
  return {
    text: `INSERT INTO cache_entries AS c (namespace, pipeline_name, fingerprint, run_id, task_path, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (namespace, pipeline_name, fingerprint) DO UPDATE SET
         run_id = EXCLUDED.run_id, task_path = EXCLUDED.task_path, created_at = EXCLUDED.created_at
       WHERE c.created_at <= EXCLUDED.created_at`,
    values: [entry.namespace, entry.pipelineName, entry.fingerprint, runId, taskPath, at],
  };
}

/** One artifact under one key of a launch. */
interface ArtifactEntry {
  key: string;
  ref: ArtifactRef;
  artifactId: string;
}

function artifactEntries(byKey: Record<string, ArtifactRef[]> | undefined): ArtifactEntry[] {
  return Object.entries(byKey ?? {}).flatMap(([key, refs]) => refs.map((ref) => ({ key, ref, artifactId: artifactIdFor(ref.uri) })));
}

function idsByKey(entries: readonly ArtifactEntry[]): Record<string, string[]> {
  const ids: Record<string, string[]> = {};
  for (const e of entries) (ids[e.key] ??= []).push(e.artifactId);
  return ids;
}

/**
 * Registers the artifacts of `entries`, one row per URI. With a producer they are outputs and
 * update a stored row; without one they are inputs and only fill in a missing row.
 */
async function registerArtifacts(db: Queryable, runId: string, entries: readonly ArtifactEntry[], producerTaskPath: string | undefined): Promise<void> {
  const byUri = new Map(entries.map((e) => [e.ref.uri, e]));
  if (byUri.size === 0) return;
  const rows = [...byUri.values()]
    .sort((a, b) => (a.ref.uri < b.ref.uri ? -1 : a.ref.uri > b.ref.uri ? 1 : 0))
    .map((e) => ({
      artifact_id: e.artifactId,
      uri: e.ref.uri,
      name: e.ref.name,
      schema_title: e.ref.schemaTitle,
      schema_version: e.ref.schemaVersion,
      metadata: e.ref.metadata,
      output_key: producerTaskPath === undefined ? null : e.key,
    }));
  const onConflict = producerTaskPath === undefined
    ? 'DO NOTHING'
    : `DO UPDATE SET name = EXCLUDED.name, schema_title = EXCLUDED.schema_title,
         schema_version = EXCLUDED.schema_version, metadata = EXCLUDED.metadata`;
  await db
    .query(
      `INSERT INTO artifacts (artifact_id, uri, name, schema_title, schema_version, metadata, run_id, producer_task_path, output_key)
       SELECT x.artifact_id, x.uri, x.name, x.schema_title, x.schema_version, COALESCE(x.metadata, '{}'), $1, $3, x.output_key
       FROM jsonb_to_recordset($2::jsonb) AS x(artifact_id text, uri text, name text, schema_title text,
                                               schema_version text, metadata jsonb, output_key text)
       ON CONFLICT (uri) ${onConflict}`,
      [runId, JSON.stringify(rows), producerTaskPath ?? null],
    )
    .catch(rethrowConstraint({ runId }));
}

async function addLineage(
  db: Queryable,
  runId: string,
  taskPath: string,
  edges: readonly (ArtifactEntry & { direction: 'INPUT' | 'OUTPUT' })[],
): Promise<void> {
  if (edges.length === 0) return;
  const rows = edges.map((e) => ({ artifact_id: e.artifactId, direction: e.direction, key: e.key }));
  await db
    .query(
      `INSERT INTO lineage (artifact_id, run_id, task_path, direction, key)
       SELECT x.artifact_id, $1, $2, x.direction, x.key
       FROM jsonb_to_recordset($3::jsonb) AS x(artifact_id text, direction text, key text)
       ON CONFLICT DO NOTHING`,
      [runId, taskPath, JSON.stringify(rows)],
    )
    .catch(rethrowConstraint({ runId }));
}
