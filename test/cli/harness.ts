import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRun, ApiTaskDetail } from '../../api/api-types';
import type { CliContext, Terminal } from '../../cli/context';
import { runCli } from '../../cli/main';
import { tally } from '../../cli/format';
import type { RunState } from '../../ir/states';

/** A `Terminal` that keeps what was written. */
export class Collector implements Terminal {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
    readonly rows?: number,
  ) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with collected output; signal handlers go nowhere and exit() is a test failure. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const stdout = new Collector();
  const stderr = new Collector();
  const ctx: CliContext = {
    stdout,
    stderr,
    env,
    process: {
      on: () => process,
      off: () => process,
      exit: (code?: number | string | null) => {
        throw new Error(`unexpected exit(${code})`);
      },
    } as CliContext['process'],
  };
  const code = await runCli(argv, ctx);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** The Authorization header, as sent. */
  authorization?: string;
}

/** What a route answers: JSON with a status, or a text body sent in chunks (one write each, `delayMs` apart). */
export type FakeReply = { status?: number; json: unknown } | { status?: number; chunks: string[]; delayMs?: number };

export interface FakeApi {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server speaking the API's JSON, for testing the client and commands over the wire.
 * `route` gets each request (path without `/apis/v2beta1`); undefined means 404 in KFP's error shape.
 */
export async function startFakeApi(route: (req: RecordedRequest) => FakeReply | undefined): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const recorded = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname.replace(/^\/apis\/v2beta1/, '')),
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
      authorization: req.headers.authorization,
    };
    requests.push(recorded);
    const missing = `no route for ${recorded.path}`;
    const reply = route(recorded) ?? { status: 404, json: { error_message: missing, code: 5, message: missing } };
    if ('json' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.json));
      return;
    }
    res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain' });
    for (const chunk of reply.chunks) {
      res.write(chunk);
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    }
    res.end();
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A task detail exactly as the API writes it (typed by the server's own `ApiTaskDetail`), so
 * the type checker catches drift between what the server sends and what the CLI reads.
 */
export function task(name: string, state: RunState, extra: Partial<ApiTaskDetail> = {}): ApiTaskDetail {
  return {
    run_id: 'run-1',
    task_id: `t-${name}`,
    display_name: name,
    task_path: `root/${name}`,
    kind: 'CONTAINER',
    child_task_count: 0,
    create_time: '2025-01-01T12:00:00Z',
    state,
    executor_detail: { failed_main_jobs: [] },
    state_history: [],
    child_tasks: [],
    inputs: {},
    outputs: {},
    input_parameters: {},
    output_parameters: {},
    attempts: 1,
    ...extra,
  };
}

/** A run exactly as `GET /runs/{id}` returns it (the server's `ApiRun`), with the given tasks. */
export function run(state: RunState, tasks: ApiTaskDetail[] = [], extra: Partial<ApiRun> = {}): ApiRun {
  return {
    run_id: 'run-1',
    experiment_id: 'exp-1',
    display_name: 'add-numbers 1',
    description: '',
    pipeline_name: 'add-numbers',
    storage_state: 'AVAILABLE',
    runtime_config: { parameters: { a: 1, b: 2 } },
    created_at: '2025-01-01T12:00:00Z',
    scheduled_at: '2025-01-01T12:00:00Z',
    state,
    state_history: [],
    retry_count: 0,
    run_details: { task_details: tasks, task_count: tasks.length, task_state_counts: tally(tasks.map((t) => t.state)) },
    ...extra,
  };
}

/**
 * The pipeline and experiment routes `sluice run` calls before it creates the run, answered as
 * the API would from a registry kept in memory: pipelines by name with their versions (newest
 * first), and experiments by id or display name. Other requests get undefined (the caller's routes).
 */
export function registryRoutes(experiments: { experiment_id: string; display_name: string }[] = []): (req: RecordedRequest) => FakeReply | undefined {
  const pipelines: { pipeline_id: string; name: string; versions: { pipeline_version_id: string; pipeline_spec: unknown }[] }[] = [];
  const addVersion = (p: (typeof pipelines)[number], spec: unknown) => {
    const version = { pipeline_id: p.pipeline_id, pipeline_version_id: `${p.pipeline_id}-v${p.versions.length + 1}`, pipeline_spec: spec };
    p.versions.unshift(version);
    return version;
  };
  const notFound = (what: string): FakeReply => ({ status: 404, json: { error_message: `${what} not found`, code: 5 } });
  return (req) => {
    const body = req.body as Record<string, never>;
    const name = /^\/pipelines\/names\/(.+)$/.exec(req.path)?.[1];
    if (req.method === 'GET' && name !== undefined) {
      const found = pipelines.find((p) => p.name === name);
      return found ? { json: { pipeline_id: found.pipeline_id, name } } : notFound(`pipeline named "${name}"`);
    }
    if (req.method === 'POST' && req.path === '/pipelines/create') {
      const pipeline = { pipeline_id: `pipe-${pipelines.length + 1}`, name: (body.pipeline as { name: string }).name, versions: [] };
      pipelines.push(pipeline);
      addVersion(pipeline, (body.pipeline_version as { pipeline_spec: unknown }).pipeline_spec);
      return { json: { pipeline_id: pipeline.pipeline_id, name: pipeline.name } };
    }
    const versions = /^\/pipelines\/([^/]+)\/versions$/.exec(req.path)?.[1];
    const pipeline = pipelines.find((p) => p.pipeline_id === versions);
    if (versions !== undefined && !pipeline) return notFound(`pipeline "${versions}"`);
    if (pipeline && req.method === 'GET') return { json: { pipeline_versions: pipeline.versions.slice(0, Number(req.query.get('page_size') ?? 20)), total_size: pipeline.versions.length } };
    if (pipeline && req.method === 'POST') return { json: addVersion(pipeline, body.pipeline_spec) };
    const experimentId = /^\/experiments\/([^/:]+)$/.exec(req.path)?.[1];
    if (req.method === 'GET' && experimentId !== undefined) {
      const found = experiments.find((e) => e.experiment_id === experimentId);
      return found ? { json: found } : notFound(`experiment "${experimentId}"`);
    }
    if (req.method === 'GET' && req.path === '/experiments') {
      const wanted = (JSON.parse(req.query.get('filter') ?? '{"predicates":[]}') as { predicates: { string_value: string }[] }).predicates[0]?.string_value;
      return { json: { experiments: experiments.filter((e) => wanted === undefined || e.display_name === wanted) } };
    }
    return undefined;
  };
}

/** The first request to `method path`. */
export function requestTo(requests: RecordedRequest[], method: string, path: string): RecordedRequest | undefined {
  return requests.find((r) => r.method === method && r.path === path);
}
