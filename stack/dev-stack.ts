import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { apiDepsFromConfig, createApp } from '../api/app';
import { ensureLocalToken } from '../api/auth/local-token';
import { CODEC_PATH } from '../api/routes/codec';
import { startApiServer } from '../api/server';
import type { SluiceConfig } from '../config/config';
import { SLUICE_DATA_CONVERTER } from '../config/payload-codec';
import { lineLogger } from '../observability/logger';
import { PgStore } from '../store/pg-store';
import type { MetadataStore } from '../store/types';
import { createSluiceWorker, installTemporalRuntime } from '../worker/create-worker';
import { submitDemoRun } from './demo';
import { startEmbeddedPostgres } from './embedded-postgres';
import { startTemporalDevServer } from './temporal-dev-server';
import { waitFor } from './wait';

export interface DevStack {
  apiUrl: string;
  dashboardUrl: string;
  temporalUiUrl?: string;
  temporalAddress: string;
  databaseUrl: string;
  /** The local user's admin token (also in `dataDir/token`). */
  token: string;
  /** The dashboard's sign-in link: it sets the token as the dashboard's cookie. */
  loginUrl: string;
  store: MetadataStore;
  temporal: Client;
  /** The run started by the `demo` option. */
  demoRunId?: string;
  /** Stops everything in reverse order of start; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The embedded stack on one machine: Temporal's dev server (SQLite file), embedded PostgreSQL,
 * an in-process worker and the API, started in that order, each after the previous one answers.
 * `DATABASE_URL` / `TEMPORAL_ADDRESS` in the config select external servers instead.
 */
export interface DevStackOptions {
  log?: (line: string) => void;
  /** Run a worker inside this process (the default); false when workers run as their own processes. */
  inProcessWorker?: boolean;
  /** Start a run of the demo pipeline once everything is up. */
  demo?: boolean;
}

export async function startDevStack(config: SluiceConfig, opts: DevStackOptions = {}): Promise<DevStack> {
  const log = opts.log ?? (() => undefined);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    while (stops.length) await (stops.pop() as () => Promise<void>)().catch((err) => log(`stop: ${(err as Error).message}`));
  };
  try {
    let temporalAddress = config.temporalAddress;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      log(`starting Temporal dev server on 127.0.0.1:${config.temporalPort}`);
      const temporal = await startTemporalDevServer({
        cli: config.temporalCli,
        dbFile: join(config.dataDir, 'temporal', 'temporal.db'),
        port: config.temporalPort,
        uiPort: config.temporalUiPort,
        namespace: config.temporalNamespace,
        logFile: join(config.dataDir, 'logs', 'temporal.log'),
        // The UI runs in the user's browser on this machine: loopback reaches the API however it is bound.
        uiCodecEndpoint: `http://127.0.0.1:${config.apiPort}${CODEC_PATH}`,
      });
      stops.push(() => temporal.stop());
      temporalAddress = temporal.address;
      temporalUiUrl = temporal.uiUrl;
    }

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      log(`starting embedded PostgreSQL on 127.0.0.1:${config.postgresPort}`);
      const pg = await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'postgres'), port: config.postgresPort });
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
    }
    const store = await PgStore.connect(databaseUrl);
    stops.push(() => store.close());
    await store.migrate();

    const clientConnection = await Connection.connect({ address: temporalAddress });
    stops.push(() => clientConnection.close());
    // The same codec as the worker's: a run's input (its whole spec) is gzipped on the way to Temporal.
    const client = new Client({ connection: clientConnection, namespace: config.temporalNamespace, dataConverter: SLUICE_DATA_CONVERTER });
    if (opts.inProcessWorker ?? true) {
      log('starting the worker');
      // Only with a worker: the native runtime keeps the process alive until a worker stops it.
      const logger = lineLogger(config.logLevel ?? 'warn', log);
      await installTemporalRuntime(logger, { address: config.temporalMetricsAddress });
      const workerConnection = await NativeConnection.connect({ address: temporalAddress });
      stops.push(() => workerConnection.close());
      const worker = await createSluiceWorker({ config, store, connection: workerConnection, logger });
      const running = worker.run();
      stops.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
      await waitForPollers(client, config);
    }

    log('starting the API');
    const deps = apiDepsFromConfig(config, store, client);
    const token = await ensureLocalToken(config.dataDir, deps.auth.tokens);
    // The Temporal UI started above decodes histories through /codec from the browser, without a token.
    const app = createApp({ ...deps, auth: { ...deps.auth, anonymousCodecOnLoopback: temporalUiUrl !== undefined } });
    const api = await startApiServer(app, { host: config.apiHost, port: config.apiPort });
    stops.push(() => api.close());
    await waitFor('the API health check', async () => {
      const res = await fetch(`${api.url}/apis/v2beta1/healthz`);
      if (!res.ok) throw new Error(`healthz answered ${res.status}`);
    }, { timeoutMs: 10_000 });

    const demoRunId = opts.demo ? await submitDemoRun(api.url, token) : undefined;
    if (demoRunId) log(`started the demo run ${demoRunId}`);

    const loginUrl = `${api.url}/login?token=${encodeURIComponent(token)}`;
    return { demoRunId, apiUrl: api.url, dashboardUrl: `${api.url}/`, loginUrl, token, temporalUiUrl, temporalAddress, databaseUrl, store, temporal: client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The worker is ready once Temporal sees it polling the workflow task queue. */
export async function waitForPollers(client: Client, config: SluiceConfig, timeoutMs = 30_000): Promise<void> {
  await waitFor(`a worker polling task queue ${config.taskQueue}`, async () => {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: config.temporalNamespace,
      taskQueue: { name: config.taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    if (!pollers?.length) throw new Error('no pollers yet');
  }, { timeoutMs });
}
