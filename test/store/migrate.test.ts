import { Pool } from 'pg';
import { DEFAULT_EXPERIMENT_NAME } from '../../config/constants';
import { DEFAULT_EXPERIMENT_ID } from '../../store/ids';
import { migrate } from '../../store/migrate';
import { MIGRATIONS } from '../../store/migrations';
import { PgStore } from '../../store/pg-store';
import { taskIdFor } from '../../store/ids';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

describe('migrations', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('store_migrate');
    pool = new Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => undefined); // see fixtures.ts: end() resolves before sockets close
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const recorded = async () =>
    (await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);

  test('two stores migrating at once apply each migration exactly once', async () => {
    const [a, b] = await Promise.all([PgStore.connect(db.url), PgStore.connect(db.url)]);
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      expect(await recorded()).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('concurrent migrators: one applies, the other finds nothing left', async () => {
    const other = await createTestDatabase('store_migrate_race');
    const racePool = new Pool({ connectionString: other.url, max: 4 });
    racePool.on('error', () => undefined);
    try {
      const results = await Promise.all([migrate(racePool), migrate(racePool), migrate(racePool)]);
      expect(results.flat().sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await racePool.end();
      await other.drop();
    }
  });

  test('migrating again is a no-op', async () => {
    expect(await migrate(pool)).toEqual([]);
    const store = await PgStore.connect(db.url);
    try {
      await store.migrate();
      await store.migrate();
    } finally {
      await store.close();
    }
    expect(await recorded()).toEqual(MIGRATIONS.map((m) => m.version));
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM experiments');
    expect(rows[0].n).toBe(1);
  });

  test('the Default experiment exists with its well-known id', async () => {
    const store = await PgStore.connect(db.url);
    try {
      expect(await store.getDefaultExperiment()).toEqual({
        experimentId: DEFAULT_EXPERIMENT_ID,
        displayName: DEFAULT_EXPERIMENT_NAME,
        description: expect.any(String),
        namespace: '',
        storageState: 'AVAILABLE',
        createdAt: expect.any(Date),
        lastRunCreatedAt: undefined,
      });
    } finally {
      await store.close();
    }
  });

  test('a failing migration rolls back entirely and is not recorded', async () => {
    const broken = { version: 9999, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT 1 / 0;' };
    await expect(migrate(pool, [...MIGRATIONS, broken])).rejects.toThrow(/division by zero/);
    expect(await recorded()).toEqual(MIGRATIONS.map((m) => m.version));
    const { rows } = await pool.query("SELECT to_regclass('half_done') AS t");
    expect(rows[0].t).toBeNull();
  });

  test('0002 turns flat task names into root paths and backfills the new columns', async () => {
    const old = await createTestDatabase('store_migrate_0002');
    const oldPool = new Pool({ connectionString: old.url, max: 2 });
    oldPool.on('error', () => undefined);
    try {
      expect(await migrate(oldPool, MIGRATIONS.filter((m) => m.version === 1))).toEqual([1]);
      const spec = { pipelineInfo: { name: 'legacy-pipeline' }, root: { dag: { tasks: {} } } };
      await oldPool.query(
        `INSERT INTO runs (run_id, display_name, experiment_id, spec, state, created_at, scheduled_at)
         VALUES ('r1', 'old run', $1, $2, 'SUCCEEDED', now(), now())`,
        [DEFAULT_EXPERIMENT_ID, JSON.stringify(spec)],
      );
      await oldPool.query(
        `INSERT INTO tasks (run_id, task_name, task_id, component_name, state, inputs, outputs, attempts, started_at)
         VALUES ('r1', 'train', 'old-id', 'comp-train', 'SUCCEEDED', '{"parameters": {}, "artifacts": {}}', '{"parameters": {}, "artifacts": {}}', 1, now())`,
      );
      await oldPool.query(`INSERT INTO task_attempts (run_id, task_name, attempt, state) VALUES ('r1', 'train', 1, 'SUCCEEDED')`);
      await oldPool.query(
        `INSERT INTO artifacts (artifact_id, uri, name, schema_title, schema_version, run_id, producer_task, output_key)
         VALUES ('a1', '/a/model', 'model', 'system.Model', '0.0.1', 'r1', 'train', 'model')`,
      );
      await oldPool.query(`INSERT INTO lineage (artifact_id, run_id, task_name, direction, key) VALUES ('a1', 'r1', 'train', 'OUTPUT', 'model')`);

      expect(await migrate(oldPool)).toEqual(MIGRATIONS.filter((m) => m.version > 1).map((m) => m.version));
      const store = await PgStore.connect(old.url);
      try {
        expect(await store.getTask('r1', 'root/train')).toMatchObject({
          taskPath: 'root/train',
          taskId: taskIdFor('r1', 'root/train'),
          displayName: 'train',
          parentTaskPath: undefined,
          kind: 'CONTAINER',
          state: 'SUCCEEDED',
        });
        expect(await store.listTaskAttempts('r1', 'root/train')).toHaveLength(1);
        expect(await store.getArtifact('a1')).toMatchObject({ producerTaskPath: 'root/train' });
        expect(await store.listLineage('r1')).toEqual([{ artifactId: 'a1', runId: 'r1', taskPath: 'root/train', direction: 'OUTPUT', key: 'model' }]);
        expect((await store.listRuns({}, {})).items[0]).toMatchObject({ runId: 'r1', pipelineName: 'legacy-pipeline' });
      } finally {
        await store.close();
      }
    } finally {
      await oldPool.end();
      await old.drop();
    }
  });

  test("0006 puts each existing run in its experiment's namespace, losing nothing", async () => {
    const old = await createTestDatabase('store_migrate_0006');
    const oldPool = new Pool({ connectionString: old.url, max: 2 });
    oldPool.on('error', () => undefined);
    try {
      await migrate(oldPool, MIGRATIONS.filter((m) => m.version < 6));
      await oldPool.query(`INSERT INTO experiments (experiment_id, display_name, description, namespace) VALUES ('e-a', 'team a', '', 'team-a')`);
      const insertRun = (runId: string, experimentId: string) =>
        oldPool.query(
          `INSERT INTO runs (run_id, display_name, experiment_id, spec, pipeline_name, state, created_at, scheduled_at)
           VALUES ($1, $1, $2, '{}', 'p', 'SUCCEEDED', now(), now())`,
          [runId, experimentId],
        );
      await insertRun('in-a', 'e-a');
      await insertRun('in-default', DEFAULT_EXPERIMENT_ID);
      await insertRun('orphan', 'deleted-experiment');

      // 0006 and every later migration (0012's cache tables) apply on top.
      expect(await migrate(oldPool)).toEqual(MIGRATIONS.filter((m) => m.version >= 6).map((m) => m.version));
      const store = await PgStore.connect(old.url);
      try {
        expect(await store.getRunNamespace('in-a')).toBe('team-a');
        expect(await store.getRunNamespace('in-default')).toBe('');
        expect(await store.getRunNamespace('orphan')).toBe('');
        expect((await store.listRuns({ namespaces: ['team-a'] }, {})).items.map((r) => r.runId)).toEqual(['in-a']);
        expect((await store.listRuns({}, {})).totalSize).toBe(3);
      } finally {
        await store.close();
      }
    } finally {
      await oldPool.end();
      await old.drop();
    }
  });

  test('connect fails fast on an unreachable database', async () => {
    const url = new URL(db.url);
    url.pathname = '/no_such_database';
    await expect(PgStore.connect(url.toString())).rejects.toThrow(/does not exist/);
  });
});
