import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { apiDepsFromConfig, createApp } from '../api/app';
import { ensureLocalToken } from '../api/auth/local-token';
import { CODEC_PATH } from '../api/routes/codec';
import { startApiServer } from '../api/server';
import type { SluiceConfig } from '../config/config';
import { SLUICE_DATA_CONVERTER } from '../config/payload-codec';
import { lineLogger, type Logger } from '../observability/logger';
import { PgStore } from '../store/pg-store';
import type { MetadataStore } from '../store/types';
import { createSluiceWorker, installTemporalRuntime } from '../worker/create-worker';
import { submitDemoRun } from './demo';
import { startEmbeddedPostgres } from './embedded-postgres';
import { startTemporalDevServer } from './temporal-dev-server';
import { waitFor } from './wait';
import { PidFiles } from './pid-files';
import { Supervisor, type Supervisee } from './supervisor';
import { describeError } from '../config/describe-error';
import { postgresCheck, temporalCheck, type DependencyCheck } from '../api/health';

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
 * `DATABASE_URL` / `TEMPORAL_ADDRESS` in the config select external servers instead. The two
 * servers and the worker are supervised (restarted with backoff when they end on their own),
 * the servers' pids are kept in `<dataDir>/run/` so that the next start stops what a killed
 * stack left behind, and the API's `/readyz` fails while any of them is down.
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
  const stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  let stopping: Promise<void> | undefined;
  // Each part gets a bounded time to stop, so a dependency that is gone (a worker waiting on a
  // dead Temporal, say) cannot hold the whole shutdown past its grace period.
  const stop = () =>
    (stopping ??= (async () => {
      while (stops.length) {
        const { what, stop: stopPart } = stops.pop() as (typeof stops)[number];
        await withTimeout(stopPart(), STOP_PART_MS, `stopping ${what}`).catch((err) => log(`stop: ${describeError(err)}`));
      }
    })());
  const pidFiles = new PidFiles(config.dataDir);
  const backoff = { initialBackoffMs: config.restartBackoffMs };
  try {
    // A sluice dev killed with SIGKILL left its Temporal and PostgreSQL running on our ports and data.
    if (!config.temporalAddress || !config.databaseUrl) await pidFiles.stopOrphans(log);

    let temporalAddress = config.temporalAddress;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      log(`starting Temporal dev server on 127.0.0.1:${config.temporalPort}`);
      const dbFile = join(config.dataDir, 'temporal', 'temporal.db');
      const temporal = new Supervisor('the Temporal dev server', async () => {
        const server = await startTemporalDevServer({
          cli: config.temporalCli,
          dbFile,
          port: config.temporalPort,
          uiPort: config.temporalUiPort,
          namespace: config.temporalNamespace,
          logFile: join(config.dataDir, 'logs', 'temporal.log'),
          // The UI runs in the user's browser on this machine: loopback reaches the API however it is bound.
          uiCodecEndpoint: `http://127.0.0.1:${config.apiPort}${CODEC_PATH}`,
          // Recorded at once: a sluice dev killed while Temporal starts must not leave it unknown.
          onSpawn: (pid) => pidFiles.write('temporal', { pid, commandLineHas: dbFile, stopSignal: 'SIGTERM' }),
        });
        temporalUiUrl = server.uiUrl;
        return supervisee(pidFiles, 'temporal', server.process.pid as number, server);
      }, log, backoff);
      await temporal.start();
      stops.push({ what: 'the Temporal dev server', stop: () => temporal.stop() });
      temporalAddress = `127.0.0.1:${config.temporalPort}`;
    }

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      log(`starting embedded PostgreSQL on 127.0.0.1:${config.postgresPort}`);
      const pgDir = join(config.dataDir, 'postgres');
      const postgres = new Supervisor('PostgreSQL', async () => {
        const server = await startEmbeddedPostgres({ dataDir: pgDir, port: config.postgresPort });
        databaseUrl = server.url;
        // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
        await pidFiles.write('postgres', { pid: server.pid, commandLineHas: pgDir, stopSignal: 'SIGINT' });
        return supervisee(pidFiles, 'postgres', server.pid, server);
      }, log, backoff);
      await postgres.start();
      stops.push({ what: 'PostgreSQL', stop: () => postgres.stop() });
    }
    // The pool outlives a PostgreSQL restart: it drops the connections the crash cut and opens new ones.
    const store = await PgStore.connect(databaseUrl as string);
    stops.push({ what: 'the store', stop: () => store.close() });
    await store.migrate();

    const clientConnection = await Connection.connect({ address: temporalAddress });
    stops.push({ what: 'the Temporal client', stop: () => clientConnection.close() });
    // The same codec as the worker's: a run's input (its whole spec) is gzipped on the way to Temporal.
    const client = new Client({ connection: clientConnection, namespace: config.temporalNamespace, dataConverter: SLUICE_DATA_CONVERTER });
    const health: DependencyCheck[] = [temporalCheck(client), postgresCheck(store)];
    if (opts.inProcessWorker ?? true) {
      log('starting the worker');
      // Only with a worker: the native runtime keeps the process alive until a worker stops it.
      const logger = lineLogger(config.logLevel ?? 'warn', log);
      await installTemporalRuntime(logger, { address: config.temporalMetricsAddress });
      const address = temporalAddress;
      const worker = new Supervisor('the worker', () => startWorker(config, store, address, logger), log, backoff);
      await worker.start();
      stops.push({ what: 'the worker', stop: () => worker.stop() });
      health.push({
        name: 'worker',
        check: async () => {
          if (!worker.up) throw new Error('the in-process worker is restarting');
        },
      });
      await waitForPollers(client, config);
    }

    log('starting the API');
    const deps = apiDepsFromConfig(config, store, client);
    const token = await ensureLocalToken(config.dataDir, deps.auth.tokens);
    // The Temporal UI started above decodes histories through /codec from the browser, without a token.
    const app = createApp({ ...deps, health, auth: { ...deps.auth, anonymousCodecOnLoopback: temporalUiUrl !== undefined } });
    const api = await startApiServer(app, { host: config.apiHost, port: config.apiPort });
    stops.push({ what: 'the API', stop: () => api.close() });
    await waitFor('the API health check', async () => {
      const res = await fetch(`${api.url}/apis/v2beta1/healthz`);
      if (!res.ok) throw new Error(`healthz answered ${res.status}`);
    }, { timeoutMs: 10_000 });

    const demoRunId = opts.demo ? await submitDemoRun(api.url, token) : undefined;
    if (demoRunId) log(`started the demo run ${demoRunId}`);

    const loginUrl = `${api.url}/login?token=${encodeURIComponent(token)}`;
    return { demoRunId, apiUrl: api.url, dashboardUrl: `${api.url}/`, loginUrl, token, temporalUiUrl, temporalAddress, databaseUrl: databaseUrl as string, store, temporal: client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** How long one part of the stack may take to stop before the shutdown moves on without it. */
const STOP_PART_MS = 10_000;

/** How long a server gets to stop on its signal before it is killed (within `STOP_PART_MS`). */
const SERVER_STOP_MS = 8_000;

/**
 * A started server (recorded in a pid file) as its supervisor sees it. Stopping it ends within
 * `SERVER_STOP_MS`: a server that ignores its stop signal is killed, so the shutdown keeps to its
 * grace period and leaves nothing holding the port.
 */
function supervisee(pidFiles: PidFiles, name: string, pid: number, server: { exited: Promise<string>; stop(): Promise<void> }): Supervisee {
  let gone = false;
  void server.exited.then(() => (gone = true));
  return {
    label: `pid ${pid}`,
    exited: server.exited,
    stop: async () => {
      await withTimeout(server.stop(), SERVER_STOP_MS, `stopping ${name} (pid ${pid})`).catch(() => {
        // Our own child, not yet reaped (`gone` is false): the pid is still this server's.
        if (gone) return;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // It exited in between: nothing left to stop.
        }
      });
      await pidFiles.remove(name);
    },
  };
}

/** One in-process worker on its own connection; a worker that fails is replaced by its supervisor with a new connection. */
async function startWorker(config: SluiceConfig, store: MetadataStore, address: string, logger: Logger): Promise<Supervisee> {
  const connection = await NativeConnection.connect({ address });
  let worker: Awaited<ReturnType<typeof createSluiceWorker>>;
  try {
    worker = await createSluiceWorker({ config, store, connection, logger });
  } catch (err) {
    await connection.close();
    throw err;
  }
  const running = worker.run();
  return {
    label: `task queue ${config.taskQueue}`,
    exited: running.then(() => 'it stopped', (err: unknown) => `it failed: ${describeError(err)}`),
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    },
  };
}

/** Rejects with `what` and the limit when `work` takes longer than `ms`; `work` itself goes on. */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms; moving on`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
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
