import { Pool } from 'pg';
import { DEFAULT_EXPERIMENT_NAME } from '../../config/constants';
import { DEFAULT_EXPERIMENT_ID } from '../../store/ids';
import { migrate } from '../../store/migrate';
import { MIGRATIONS } from '../../store/migrations';
import { PgStore } from '../../store/pg-store';
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
      expect(results.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version));
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

  test('connect fails fast on an unreachable database', async () => {
    const url = new URL(db.url);
    url.pathname = '/no_such_database';
    await expect(PgStore.connect(url.toString())).rejects.toThrow(/does not exist/);
  });
});
