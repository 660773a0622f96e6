import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { parse } from 'yaml';
import { temporalTlsFromEnv } from '../../config/temporal-tls';
import { ConfigError } from '../../config/config';
import { DEFAULT_NAMESPACE } from '../../config/constants';
import { SLUICE_DATA_CONVERTER } from '../../config/payload-codec';
import { freePort } from '../../stack/free-port';
import type { RunInput } from '../../workflows/types';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { until } from '../support/until';

const ROOT = join(__dirname, '..', '..');
const SLUICE = join(ROOT, 'bin', 'sluice.js');
const API = '/apis/v2beta1';

/** The environment of a spawned `sluice`: the test's own, minus anything that would pick a server. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'SLUICE_TASK_QUEUE', 'SLUICE_API_PORT', 'SLUICE_API_HOST']) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('TEMPORAL_TLS')) delete env[name];
  return { ...env, ...extra };
}

async function decode(payload: Payload): Promise<RunInput> {
  let payloads = [payload];
  for (const codec of [...(SLUICE_DATA_CONVERTER.payloadCodecs ?? [])].reverse()) payloads = await codec.decode(payloads);
  return defaultPayloadConverter.fromPayload<RunInput>(payloads[0]);
}

/**
 * `sluice api` as the Helm chart's API pods run it: a process of its own on the jest run's
 * Temporal dev server and a fresh database, started through bin/sluice.js and stopped with
 * SIGTERM.
 */
describe('sluice api (the standalone API process)', () => {
  const temporalAddress = process.env.SLUICE_TEST_TEMPORAL_ADDRESS as string;
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  let connection: Connection;
  let temporal: Client;
  const started: string[] = [];

  beforeAll(async () => {
    if (!temporalAddress) throw new Error('SLUICE_TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (global setup)');
    db = await createTestDatabase('api_process');
    connection = await Connection.connect({ address: temporalAddress });
    temporal = new Client({ connection, namespace: DEFAULT_NAMESPACE, dataConverter: SLUICE_DATA_CONVERTER });
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.allSettled(started.map((id) => temporal.workflow.getHandle(id).terminate('api process test finished')));
    await connection?.close();
    await db?.drop();
  });

  test('refuses to start without DATABASE_URL or TEMPORAL_ADDRESS, naming it (exit 2)', () => {
    const noDb = spawnSync(process.execPath, [SLUICE, 'api'], { encoding: 'utf8', env: baseEnv({ TEMPORAL_ADDRESS: temporalAddress }), timeout: 60_000 });
    expect(noDb.status).toBe(2);
    expect(noDb.stderr).toMatch(/DATABASE_URL is required/);
    const noTemporal = spawnSync(process.execPath, [SLUICE, 'api'], { encoding: 'utf8', env: baseEnv({ DATABASE_URL: db.url }), timeout: 60_000 });
    expect(noTemporal.status).toBe(2);
    expect(noTemporal.stderr).toMatch(/TEMPORAL_ADDRESS is required/);
  });

  test('migrates, serves healthz, starts a run on Temporal with the shared data converter, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const taskQueue = `api-process-${randomUUID()}`; // no worker polls it: the run stays as the API started it
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-api-process-'));
    const logFile = join(dataDir, 'api.log');
    let output = '';
    child = spawn(process.execPath, [SLUICE, 'api'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: baseEnv({
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: temporalAddress,
        SLUICE_TASK_QUEUE: taskQueue,
        SLUICE_API_HOST: '127.0.0.1',
        SLUICE_API_PORT: String(port),
        SLUICE_DATA_DIR: dataDir,
      }),
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      (child as ChildProcess).once('exit', (code, signal) => resolve({ code, signal })));

    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sluice api exited ${child.exitCode}:\n${output}`);
      const res = await fetch(`${url}${API}/healthz`).catch(() => undefined);
      if (res?.ok) {
        expect(await res.json()).toEqual({ multi_user: false, pipeline_store: 'database', dependencies: { temporal: { status: 'up' }, postgresql: { status: 'up' } } });
        break;
      }
      if (Date.now() > deadline) throw new Error(`sluice api did not answer healthz within 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // The line travels through a pipe the server answering on its socket does not wait for.
    const listening = `sluice api listening on ${url}${API}`;
    await until('the listening line', async () => output.includes(listening), 10_000).catch(() => undefined);
    expect(output).toContain(listening);

    // A cluster's first token: `sluice tokens create` on the database, as in an API pod.
    const minted = spawnSync(process.execPath, [SLUICE, 'tokens', 'create', '--name', 'deployer', '--scope', 'write'], { encoding: 'utf8', env: baseEnv({ DATABASE_URL: db.url }), timeout: 60_000 });
    expect(minted.status).toBe(0);
    const authorization = `Bearer ${minted.stdout.trim()}`;
    expect((await fetch(`${url}${API}/runs`)).status).toBe(401);

    const spec = parse(readFileSync(join(ROOT, 'test', 'engine', 'fixtures', 'two-step.yaml'), 'utf8'));
    const created = await fetch(`${url}${API}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ display_name: 'through sluice api', pipeline_spec: spec, runtime_config: { parameters: { times: 3 } } }),
    });
    const run = (await created.json()) as { run_id: string; display_name: string; experiment_id: string };
    expect(created.status).toBe(200);
    started.push(run.run_id);
    expect(run.display_name).toBe('through sluice api');

    // The store was migrated and written: the run (and the Default experiment) read back.
    const got = await fetch(`${url}${API}/runs/${run.run_id}`, { headers: { authorization } });
    expect(got.status).toBe(200);
    expect(((await got.json()) as { run_id: string }).run_id).toBe(run.run_id);

    // Temporal has the workflow on the configured task queue, and its input decodes with the
    // data converter every worker uses.
    const description = await temporal.workflow.getHandle(run.run_id).describe();
    expect(description.taskQueue).toBe(taskQueue);
    expect(description.status.name).toBe('RUNNING');
    const history = await temporal.workflow.getHandle(run.run_id).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] as Payload;
    const input = await decode(payload);
    expect(input.runId).toBe(run.run_id);
    expect(input.parameters).toMatchObject({ times: 3, greeting: 'hello' });

    child.kill('SIGTERM');
    const { code, signal } = await exited;
    writeFileSync(logFile, output);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/sluice api stopping[\s\S]*sluice api stopped/);
    // The server is gone with it.
    await expect(fetch(`${url}${API}/healthz`)).rejects.toThrow();
  });
});

describe('temporalTlsFromEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const crt = file('tls.crt', 'CERT');
  const key = file('tls.key', 'KEY');
  const ca = file('ca.crt', 'CA');

  test('plaintext unless asked for', () => {
    expect(temporalTlsFromEnv({})).toBeUndefined();
    expect(temporalTlsFromEnv({ TEMPORAL_TLS: 'false' })).toBeUndefined();
  });

  test('TEMPORAL_TLS=true alone: TLS with the system roots', () => {
    expect(temporalTlsFromEnv({ TEMPORAL_TLS: 'true' })).toEqual({});
  });

  test('mTLS with a CA and a server name, read from the files the chart mounts', () => {
    const tls = temporalTlsFromEnv({
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CLIENT_CERT_PATH: crt,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(tls?.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(tls?.serverRootCACertificate ?? []).toString()).toBe('CA');
    expect(Buffer.from(tls?.clientCertPair?.crt ?? []).toString()).toBe('CERT');
    expect(Buffer.from(tls?.clientCertPair?.key ?? []).toString()).toBe('KEY');
  });

  test('refuses half an mTLS pair, a missing file, a bad flag and a contradiction', () => {
    expect(() => temporalTlsFromEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: crt })).toThrow(ConfigError);
    expect(() => temporalTlsFromEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'missing') })).toThrow(/TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read/);
    expect(() => temporalTlsFromEnv({ TEMPORAL_TLS: 'yes' })).toThrow(/expected true or false/);
    expect(() => temporalTlsFromEnv({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca })).toThrow(/TEMPORAL_TLS=false/);
  });
});
