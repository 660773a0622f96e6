import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { API_PREFIX, createApp, type ApiDeps } from '../../api/app';
import { allowedHostsFor, type AuthSettings } from '../../api/auth/guard';
import { TokenService } from '../../api/auth/tokens';
import { startApiServer } from '../../api/server';
import { DEFAULT_NAMESPACE } from '../../config/constants';
import { SLUICE_DATA_CONVERTER } from '../../config/payload-codec';
import { PgStore } from '../../store/pg-store';
import type { RunInput } from '../../workflows/types';
import { createTestDatabase } from '../support/test-database';
import { workflowStartInput } from '../support/workflow-input';

/**
 * The API on a real PostgreSQL database (fresh per test file) and the jest run's real Temporal
 * dev server. Runs start on a task queue of their own that no worker polls, so their workflows
 * stay open exactly as the API left them; `close()` terminates them.
 */
export interface ApiHarness {
  url: string;
  store: PgStore;
  /** The harness's own database, for seeding in bulk with SQL. */
  databaseUrl: string;
  temporal: Client;
  taskQueue: string;
  artifactRoot: string;
  /** An admin token for every namespace, which `call`, `upload`, `request` and `fetch` send unless told otherwise. */
  token: string;
  tokens: TokenService;
  /** One JSON (or text) request; never throws on an error status. `token: null` sends none. */
  call(method: string, path: string, body?: unknown, opts?: CallOptions): Promise<ApiResponse>;
  /** One request exactly as given (headers, raw body) but for the harness token; `call` and `upload` go through it. */
  request(method: string, path: string, init?: { headers?: Record<string, string>; body?: RequestInit['body'] }, token?: CallOptions['token']): Promise<ApiResponse>;
  /** Multipart upload of `content` as the `uploadfile` field. */
  upload(path: string, fileName: string, content: string | Buffer, opts?: CallOptions): Promise<ApiResponse>;
  /** fetch() on the server with the harness token, or `token` (`null`: none); `init` may set `authorization` itself. */
  fetch(path: string, init?: RequestInit, token?: string | null): Promise<Response>;
  /** The input the run's workflow was started with, read from its first history event. */
  workflowInput(runId: string): Promise<RunInput>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions index freely into response JSON
  body: any;
  text: string;
}

export const API = API_PREFIX;

export interface CallOptions {
  /** Another token to send; `null` sends none. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface HarnessOptions {
  /** Temporal namespace the API starts workflows in; a missing one makes every start fail. */
  namespace?: string;
  /** A dashboard directory to serve at `/`. */
  uiDir?: string;
  /** Authentication settings beside the harness's token store (OIDC, a trusted proxy, hosts, origins). */
  auth?: Partial<Omit<AuthSettings, 'tokens'>>;
  /** Body and upload size limits (the API's defaults otherwise). */
  inputLimits?: ApiDeps['inputLimits'];
}

export async function startApiHarness(prefix: string, opts: HarnessOptions = {}): Promise<ApiHarness> {
  const address = process.env.SLUICE_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('SLUICE_TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (global setup)');
  const db = await createTestDatabase(prefix);
  const store = await PgStore.connect(db.url);
  await store.migrate();
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: opts.namespace ?? DEFAULT_NAMESPACE, dataConverter: SLUICE_DATA_CONVERTER });
  const taskQueue = `api-test-${randomUUID()}`;
  const artifactRoot = mkdtempSync(join(tmpdir(), 'sluice-api-test-'));
  const tokens = new TokenService(store);
  const { token } = await tokens.create({ name: 'api test harness', scope: 'admin' });
  const auth: AuthSettings = { tokens, allowedHosts: allowedHostsFor('127.0.0.1', ''), allowedOrigins: new Set(), ...opts.auth };
  const app = createApp({
    store,
    temporal,
    taskQueue,
    artifactRoot,
    parallelism: 4,
    heartbeatTimeoutSeconds: 15,
    uiDir: opts.uiDir,
    auth,
    inputLimits: opts.inputLimits,
  });
  const server = await startApiServer(app, { host: '127.0.0.1', port: 0 });
  const started: string[] = [];
  /** Recurring runs created through `call`: their Temporal Schedules are deleted on close. */
  const schedules: string[] = [];

  /** The one place the test clients' credentials are added. */
  const authorized = (headers: Record<string, string> | undefined, as: CallOptions['token'] = token): Record<string, string> => ({
    ...(as === null ? {} : { authorization: `Bearer ${as}` }),
    ...headers,
  });
  const request: ApiHarness['request'] = async (method, path, init = {}, as) =>
    toResponse(await fetch(`${server.url}${path}`, { method, headers: authorized(init.headers, as), body: init.body }));

  const call = async (method: string, path: string, body?: unknown, callOpts: CallOptions = {}): Promise<ApiResponse> => {
    const headers = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...callOpts.headers };
    const response = await request(method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body) }, callOpts.token);
    if (method === 'POST' && path === `${API}/runs` && response.status === 200) started.push(response.body.run_id);
    if (method === 'POST' && path === `${API}/recurringruns` && response.status === 200) schedules.push(response.body.recurring_run_id);
    return response;
  };

  return {
    url: server.url,
    store,
    databaseUrl: db.url,
    temporal,
    taskQueue,
    artifactRoot,
    token,
    tokens,
    call,
    request,
    async upload(path, fileName, content, callOpts = {}) {
      const form = new FormData();
      form.append('uploadfile', new Blob([content]), fileName);
      return request('POST', path, { body: form, headers: callOpts.headers }, callOpts.token);
    },
    fetch(path, init = {}, as) {
      return fetch(`${server.url}${path}`, { ...init, headers: authorized(init.headers as Record<string, string> | undefined, as) });
    },
    async workflowInput(runId) {
      return (await workflowStartInput<RunInput>(temporal, runId)).value;
    },
    async close() {
      await Promise.allSettled(started.map((id) => temporal.workflow.getHandle(id).terminate('API test finished')));
      await Promise.allSettled(schedules.map((id) => temporal.schedule.getHandle(id).delete()));
      await server.close();
      await connection.close();
      await store.close();
      await db.drop();
    },
  };
}

async function toResponse(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  let body: unknown = text;
  if (res.headers.get('content-type')?.includes('application/json')) body = JSON.parse(text);
  return { status: res.status, body, text };
}

/** A minimal valid PipelineSpec with one container task and the given root parameters. */
export function tinySpec(name: string, parameters: Record<string, { parameterType: string; defaultValue?: unknown; isOptional?: boolean }> = {}) {
  const inputs = Object.keys(parameters).length ? { parameters } : undefined;
  return {
    pipelineInfo: { name },
    schemaVersion: '2.1.0',
    sdkVersion: 'kfp-2.14.6',
    components: {
      'comp-echo': { executorLabel: 'exec-echo', ...(inputs ? { inputDefinitions: inputs } : {}) },
    },
    deploymentSpec: { executors: { 'exec-echo': { container: { image: 'python:3.11', command: ['echo', 'hello'] } } } },
    root: {
      dag: {
        tasks: {
          echo: {
            taskInfo: { name: 'echo' },
            componentRef: { name: 'comp-echo' },
            ...(inputs
              ? { inputs: { parameters: Object.fromEntries(Object.keys(parameters).map((p) => [p, { componentInputParameter: p }])) } }
              : {}),
          },
        },
      },
      ...(inputs ? { inputDefinitions: inputs } : {}),
    },
  };
}
