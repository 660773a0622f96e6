import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** Connection URL of the new database (same server and credentials as the admin URL). */
  url: string;
  /** Drops the database, closing any connections still open to it. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh, empty, uniquely named database on the test PostgreSQL server started by
 * jest's global setup (`SLUICE_TEST_DATABASE_ADMIN_URL`), so each test file works in isolation
 * and files may run in parallel. `prefix` makes the name recognisable; it is reduced to
 * `[a-z0-9_]` because a database name is an identifier and cannot be a query parameter.
 */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const adminUrl = process.env.SLUICE_TEST_DATABASE_ADMIN_URL;
  if (!adminUrl) throw new Error('SLUICE_TEST_DATABASE_ADMIN_URL is not set: run the tests through jest (global setup)');
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 40);
  const name = `${safePrefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
