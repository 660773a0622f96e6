import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../config/config';
import { temporalTlsFromEnv } from '../config/temporal-tls';
import { jsonLogger } from '../observability/logger';
import { serveMetrics } from '../observability/metrics-server';
import { PgStore } from '../store/pg-store';
import { createSluiceWorker, installTemporalRuntime } from './create-worker';

/**
 * A standalone worker process (`sluice worker`, the Helm chart's worker pods, and the crash
 * tests). Needs DATABASE_URL and TEMPORAL_ADDRESS; stops cleanly on SIGINT/SIGTERM.
 */
export async function runWorkerProcess(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig({}, env);
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required to run a worker on its own');
  const logger = jsonLogger(config.logLevel ?? 'info');
  // The SDK's metrics only where something serves them.
  await installTemporalRuntime(logger, config.workerMetricsAddress ? { address: config.temporalMetricsAddress } : undefined);
  const store = await PgStore.connect(config.databaseUrl);
  await store.migrate();
  const connection = await NativeConnection.connect({ address: config.temporalAddress ?? `127.0.0.1:${config.temporalPort}`, tls: temporalTlsFromEnv(env) });
  try {
    const worker = await createSluiceWorker({ config, store, connection, logger });
    const metrics = config.workerMetricsAddress ? await serveMetrics(...splitHostPort(config.workerMetricsAddress)) : undefined;
    if (metrics) logger.info({ url: metrics.url }, 'serving metrics');
    logger.info({ taskQueue: config.taskQueue, temporal: config.temporalAddress ?? config.temporalPort }, `sluice worker polling ${config.taskQueue}`);
    await worker.run().finally(() => metrics?.close());
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

function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
