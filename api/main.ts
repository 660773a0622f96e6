import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../config/config';
import { SLUICE_DATA_CONVERTER } from '../config/payload-codec';
import { temporalTlsFromEnv } from '../config/temporal-tls';
import { jsonLogger } from '../observability/logger';
import { PgStore } from '../store/pg-store';
import { API_PREFIX, apiDepsFromConfig, createApp, reconcileRecurringRuns } from './app';
import { startApiServer } from './server';

export interface ApiProcess {
  /** Base URL the server listens on (the real port when 0 was asked for). */
  url: string;
  /** Closes the server (cutting open connections), then the Temporal connection, then the pool. */
  stop(): Promise<void>;
}

/**
 * The API server as a process of its own (`sluice api`, the Helm chart's API pods): the same
 * composition as the dev stack's API, on an existing PostgreSQL (`DATABASE_URL`, migrated here)
 * and an existing Temporal frontend (`TEMPORAL_ADDRESS`), with the data converter every Client
 * and Worker shares. Listens on `SLUICE_API_HOST`:`SLUICE_API_PORT`; `/apis/v2beta1/healthz`
 * answers once it is serving.
 */
export async function startApiProcess(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => undefined): Promise<ApiProcess> {
  const config = loadConfig({}, env);
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required to run the API on its own');
  if (!config.temporalAddress) throw new ConfigError('TEMPORAL_ADDRESS is required to run the API on its own (host:port of the Temporal frontend)');
  const tls = temporalTlsFromEnv(env);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    while (stops.length) await (stops.pop() as () => Promise<void>)().catch((err) => log(`stop: ${(err as Error).message}`));
  };
  try {
    const store = await PgStore.connect(config.databaseUrl);
    stops.push(() => store.close());
    await store.migrate();
    const connection = await Connection.connect({ address: config.temporalAddress, tls });
    stops.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.temporalNamespace, dataConverter: SLUICE_DATA_CONVERTER });
    const deps = { ...apiDepsFromConfig(config, store, temporal), logger: jsonLogger(config.logLevel ?? 'info') };
    const app = createApp(deps);
    const server = await startApiServer(app, { host: config.apiHost, port: config.apiPort });
    stops.push(() => server.close());
    // Not fatal: the schedules are still there, and each recurring run's next call fixes its own.
    await reconcileRecurringRuns(deps).then(
      ({ failed }) => failed.forEach((f) => log(`recurring run ${f.recurringRunId}: its schedule could not be brought up to date: ${f.message}`)),
      (err: Error) => log(`reconciling recurring runs with Temporal's schedules failed: ${err.message}`),
    );
    log(`sluice api listening on ${server.url}${API_PREFIX} (Temporal ${config.temporalAddress}, namespace ${config.temporalNamespace}, task queue ${config.taskQueue})`);
    return { url: server.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs the API until `signal` aborts, then stops it. */
export async function runApiProcess(signal: AbortSignal, env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = (line) => console.error(line)): Promise<void> {
  const api = await startApiProcess(env, log);
  try {
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    log('sluice api stopping');
  } finally {
    await api.stop();
  }
  log('sluice api stopped');
}


if (require.main === module) {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  runApiProcess(controller.signal).then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
