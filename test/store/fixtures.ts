import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { PipelineSpec } from '../../ir/types';
import { DEFAULT_EXPERIMENT_ID } from '../../store/ids';
import { PgStore } from '../../store/pg-store';
import type { TaskTransition } from '../../activities/types';
import type { LaunchRecord, MetadataStore } from '../../store/types';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

export interface StoreFixture {
  store(): PgStore;
  /** Direct SQL on the same database, for asserting what the store wrote. */
  sql<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  count(table: string, where?: string, values?: unknown[]): Promise<number>;
  url(): string;
}

/** Gives the calling test file its own migrated database and store, dropped after the file. */
export function useStore(prefix: string): StoreFixture {
  let db: TestDatabase;
  let store: PgStore;
  let pool: Pool;
  beforeAll(async () => {
    db = await createTestDatabase(prefix);
    store = await PgStore.connect(db.url);
    await store.migrate();
    pool = new Pool({ connectionString: db.url, max: 2 });
    // pool.end() resolves before its sockets have closed, so the database drop below may still
    // terminate one; unhandled, that 'error' would fail the suite after its tests passed.
    pool.on('error', () => undefined);
  });
  afterAll(async () => {
    await Promise.all([store?.close(), pool?.end()]);
    await db?.drop();
  });
  const sql = async <R extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;
  return {
    store: () => store,
    sql,
    count: async (table, where = '', values = []) =>
      (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} ${where}`, values))[0].n,
    url: () => db.url,
  };
}

export function pipelineSpec(name = 'hello'): PipelineSpec {
  return {
    pipelineInfo: { name },
    schemaVersion: '2.1.0',
    components: { 'comp-say': { executorLabel: 'exec-say' } },
    deploymentSpec: { executors: { 'exec-say': { container: { image: 'python:3.11', command: ['echo', 'hi'] } } } },
    root: { dag: { tasks: { say: { taskInfo: { name: 'say' }, componentRef: { name: 'comp-say' } } } } },
  };
}

export type NewRun = Parameters<MetadataStore['createRun']>[0];

export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  const createdAt = overrides.createdAt ?? new Date();
  return {
    runId: randomUUID(),
    displayName: 'run',
    description: '',
    experimentId: DEFAULT_EXPERIMENT_ID,
    spec: pipelineSpec(),
    parameters: { n: 3, names: ['a', 'b'] },
    state: 'PENDING',
    createdAt,
    scheduledAt: createdAt,
    ...overrides,
  };
}

/** A time `seconds` after a fixed epoch, for ordering assertions that must not depend on the clock. */
export function at(seconds: number): Date {
  return new Date(Date.UTC(2025, 0, 1) + seconds * 1000);
}

/** A launch of container task `taskPath` (by default the start of its first attempt), with `patch` applied. */
export function launch(runId: string, taskPath: string, patch: Partial<Omit<LaunchRecord, 'runId'>> = {}): LaunchRecord {
  const name = taskPath.slice(taskPath.lastIndexOf('/') + 1);
  return {
    runId,
    at: at(1),
    ...patch,
    task: { taskPath, displayName: name, kind: 'CONTAINER', componentName: `comp-${name}`, state: 'RUNNING', ...patch.task },
    attempt: patch.attempt ?? { attempt: 1, state: 'RUNNING', podName: `${name}-1`, logUri: `/logs/${name}/1` },
  };
}

/** A transition of task `taskPath` to `state` at `at(seconds)`. */
export function transition(taskPath: string, state: TaskTransition['state'], seconds: number, patch: Partial<TaskTransition> = {}): TaskTransition {
  return {
    taskPath,
    displayName: taskPath.slice(taskPath.lastIndexOf('/') + 1),
    kind: 'CONTAINER',
    componentName: 'comp',
    state,
    at: at(seconds).toISOString(),
    ...patch,
  };
}
