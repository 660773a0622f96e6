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
