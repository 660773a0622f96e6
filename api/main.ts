import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { ConfigError, PROJECT_ROOT, loadConfig } from '../config/config';
import { SLUICE_DATA_CONVERTER } from '../config/payload-codec';
import { PgStore } from '../store/pg-store';
import { API_PREFIX, createApp } from './app';
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
    const app = createApp({
      store,
      temporal,
      taskQueue: config.taskQueue,
      artifactRoot: config.artifactRoot,
      parallelism: config.parallelism,
      heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
      uiDir: join(PROJECT_ROOT, 'ui'),
    });
    const server = await startApiServer(app, { host: config.apiHost, port: config.apiPort });
    stops.push(() => server.close());
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

/**
 * TLS to the Temporal frontend, from the variables Temporal's own CLI and client env-config
 * read: `TEMPORAL_TLS` (true/false), `TEMPORAL_TLS_CLIENT_CERT_PATH` and
 * `TEMPORAL_TLS_CLIENT_KEY_PATH` (mTLS), `TEMPORAL_TLS_SERVER_CA_CERT_PATH`,
 * `TEMPORAL_TLS_SERVER_NAME`. Any of the files or the server name turns TLS on; none of them
 * (and no `TEMPORAL_TLS=true`) means plaintext. The Helm chart sets them from a Secret.
 */
export function temporalTlsFromEnv(env: NodeJS.ProcessEnv): TLSConfig | undefined {
  const read = (name: string): Buffer | undefined => {
    const path = env[name];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`${name}: cannot read ${path} (${(err as Error).message})`);
    }
  };
  const crt = read('TEMPORAL_TLS_CLIENT_CERT_PATH');
  const key = read('TEMPORAL_TLS_CLIENT_KEY_PATH');
  if (Boolean(crt) !== Boolean(key)) {
    throw new ConfigError('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together: set both for mTLS, or neither');
  }
  const ca = read('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  const serverName = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  const flag = env.TEMPORAL_TLS?.toLowerCase();
  if (flag !== undefined && flag !== '' && !['true', 'false', '1', '0'].includes(flag)) {
    throw new ConfigError(`TEMPORAL_TLS: expected true or false, got "${env.TEMPORAL_TLS}"`);
  }
  const configured = Boolean(crt || ca || serverName);
  if (flag === 'false' || flag === '0') {
    if (configured) throw new ConfigError('TEMPORAL_TLS=false, yet TLS files or a server name are set');
    return undefined;
  }
  if (!configured && flag !== 'true' && flag !== '1') return undefined;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
  };
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
