import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../config/config';
import { temporalTlsFromEnv } from '../config/temporal-tls';
import { PgStore } from '../store/pg-store';
import { createSluiceWorker, installTemporalRuntime } from './create-worker';

/**
 * A standalone worker process (`sluice worker`, the Helm chart's worker pods, and the crash
 * tests). Needs DATABASE_URL and TEMPORAL_ADDRESS; stops cleanly on SIGINT/SIGTERM.
 */
export async function runWorkerProcess(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig({}, env);
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required to run a worker on its own');
  installTemporalRuntime((line) => console.error(line));
  const store = await PgStore.connect(config.databaseUrl);
  await store.migrate();
  const connection = await NativeConnection.connect({ address: config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`, tls: temporalTlsFromEnv(env) });
  try {
    const worker = await createSluiceWorker({ config, store, connection, log: (line) => console.error(line) });
    console.log(`sluice worker polling ${config.taskQueue} on ${config.temporalAddress ?? config.temporalPort}`);
    await worker.run();
  } finally {
    await connection.close();
    await store.close();
  }
}

if (require.main === module) {
  runWorkerProcess().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
