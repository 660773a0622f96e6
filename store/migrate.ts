import type { Pool } from 'pg';
import { MIGRATIONS, type Migration } from './migrations';
import { withTransaction } from './transaction';

/** Advisory lock taken by every migrator: the ASCII bytes of "sluice" as one bigint. */
const MIGRATION_LOCK_KEY = 0x736c75696365;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in version order, and returns
 * the versions it applied (empty when the schema is current). Everything happens in one
 * transaction holding `pg_advisory_xact_lock`, so processes starting together apply each
 * migration exactly once: the others wait, then find nothing left to do. A failing migration
 * rolls back the whole batch.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const pending = migrations.filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
    for (const m of pending) {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    return pending.map((m) => m.version);
  });
}
