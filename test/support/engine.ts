import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipelineDocument } from '../../ir/parse';
import { loadConfig, type SluiceConfig } from '../../config/config';
import { startDevStack, type DevStack, type DevStackOptions } from '../../stack/dev-stack';
import { createTestDatabase } from './test-database';

export interface TestEngine extends DevStack {
  config: SluiceConfig;
  /**
   * POSTs a run with an inline spec; returns the API's JSON (throws on a non-2xx). `runtimeConfig`
   * adds to the run's `runtime_config` (`input_artifacts`, say).
   */
  createRun(specFile: string, parameters?: Record<string, unknown>, runtimeConfig?: Record<string, unknown>): Promise<{ run_id: string }>;
  /** Polls the API until the run reaches a final state. */
  waitForRun(runId: string, timeoutMs?: number): Promise<ApiRun>;
  getRun(runId: string): Promise<ApiRun>;
  /** fetch() on the API with the stack's local token: the one place the engine's callers get credentials. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export interface ApiRun {
  run_id: string;
  state: string;
  error?: { message?: string };
  run_details?: { task_details?: ApiTask[]; task_count?: number };
  [k: string]: unknown;
}

export interface ApiTask {
  display_name: string;
  state: string;
  error?: { message?: string };
  pod_name?: string;
  output_parameters?: Record<string, unknown>;
  [k: string]: unknown;
}

const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELED', 'SKIPPED'];

/**
 * The whole engine (API, worker, store) against the jest run's real Temporal dev server and a
 * fresh real PostgreSQL database, on its own task queue so test files cannot steal each
 * other's tasks.
 */
export async function startTestEngine(name: string, overrides: Partial<Parameters<typeof loadConfig>[0]> = {}, opts: DevStackOptions = {}): Promise<TestEngine> {
  const db = await createTestDatabase(name);
  const dataDir = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
  chmodSync(dataDir, 0o755); // steps (an unprivileged user under a root worker) write artifacts below it
  const config = loadConfig({
    dataDir,
    databaseUrl: db.url,
    temporalAddress: process.env.SLUICE_TEST_TEMPORAL_ADDRESS,
    taskQueue: `test-${name}-${Date.now()}`,
    apiPort: 0,
    heartbeatTimeoutSeconds: 3,
    // One steps' runtime (and its Python environments) for the whole jest run, built once.
    stepRuntimeDir: join(process.env.SLUICE_TEST_ROOT ?? dataDir, 'runtime'),
    ...overrides,
  });
  const stack = await startDevStack(config, opts);
  const authorizedFetch = (path: string, init?: RequestInit) =>
    fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.token}`, ...init?.headers } });
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const request = () => authorizedFetch(path, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
    // A GET may race the server closing an idle keep-alive socket (ECONNRESET); it is safe to repeat.
    const res = await request().catch((err: unknown) => (init?.method ?? 'GET') === 'GET' ? request() : Promise.reject(err));
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path} → ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const getRun = (runId: string) => api<ApiRun>(`/apis/v2beta1/runs/${runId}`);
  return {
    ...stack,
    config,
    getRun,
    fetch: authorizedFetch,
    createRun: (specFile, parameters = {}, runtimeConfig = {}) =>
      api('/apis/v2beta1/runs', {
        method: 'POST',
        body: JSON.stringify({
          display_name: `${name} run`,
          pipeline_spec: parseYamlFile(specFile),
          runtime_config: { parameters, ...runtimeConfig },
        }),
      }),
    async waitForRun(runId, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const run = await getRun(runId);
        if (FINAL.includes(run.state)) return run;
        if (Date.now() > end) throw new Error(`run ${runId} still ${run.state} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      await stack.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/**
 * Parsed as the API parses uploads, so KFP's YAML quirks are handled; a platform document goes
 * along in KFP's wrapped form (`{pipeline_spec, platform_spec}`).
 */
function parseYamlFile(file: string): unknown {
  const { spec, platformSpec } = parsePipelineDocument(readFileSync(file, 'utf8'));
  return platformSpec ? { pipeline_spec: spec, platform_spec: platformSpec } : spec;
}

export function taskByName(run: ApiRun, name: string): ApiTask {
  const task = run.run_details?.task_details?.find((t) => t.display_name === name);
  if (!task) throw new Error(`run ${run.run_id} has no task ${name}: ${JSON.stringify(run.run_details)}`);
  return task;
}
