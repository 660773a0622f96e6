// The API client and the commands over real HTTP, against a small server that answers with
// KFP-shaped JSON. Covers the error mapping to exit codes, including an unreachable server.
process.env.TZ = 'UTC';

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient, ApiError, ServerUnreachableError } from '../../cli/api-client';
import { ExitCode, exitCodeFor } from '../../cli/exit-codes';
import { cli, closedPort, registryRoutes, requestTo, run, startFakeApi, task, type FakeApi, type FakeReply, type RecordedRequest } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-api-'));
const SPEC_FILE = join(dir, 'add.yaml');
writeFileSync(SPEC_FILE, 'pipelineInfo:\n  name: add-numbers\nschemaVersion: 2.1.0\ncomponents: {}\ndeploymentSpec:\n  executors: {}\nroot:\n  dag:\n    tasks: {}\n');

const servers: FakeApi[] = [];
async function serve(route: (req: RecordedRequest) => FakeReply | undefined): Promise<FakeApi> {
  const api = await startFakeApi(route);
  servers.push(api);
  return api;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const kfpError = (status: number, message: string, code: number): FakeReply => ({ status, json: { error_message: message, message, code } });

describe('ApiClient', () => {
  test('createRun posts the snake_case body and returns the Run', async () => {
    const api = await serve((req) => (req.method === 'POST' && req.path === '/runs' ? { json: run('PENDING') } : undefined));
    const created = await new ApiClient(`${api.url}/`).createRun({
      display_name: 'r',
      experiment_id: 'exp-1',
      pipeline_spec: { pipelineInfo: { name: 'p' } } as never,
      runtime_config: { parameters: { a: '1' } },
    });
    expect(created.run_id).toBe('run-1');
    expect(api.requests[0].body).toEqual({
      display_name: 'r',
      experiment_id: 'exp-1',
      pipeline_spec: { pipelineInfo: { name: 'p' } },
      runtime_config: { parameters: { a: '1' } },
    });
  });

  test('listRuns sorts newest first and turns a state into a KFP filter predicate', async () => {
    const api = await serve(() => ({ json: { runs: [run('RUNNING')], total_size: 1 } }));
    const page = await new ApiClient(api.url).listRuns({ pageSize: 5, experimentId: 'exp-1', state: 'RUNNING', pageToken: 'tok' });
    expect(page.runs?.[0].state).toBe('RUNNING');
    const { query } = api.requests[0];
    expect(Object.fromEntries(query)).toEqual({
      sort_by: 'created_at desc',
      page_size: '5',
      page_token: 'tok',
      experiment_id: 'exp-1',
      filter: JSON.stringify({ predicates: [{ key: 'state', operation: 'EQUALS', string_value: 'RUNNING' }] }),
    });
  });

  test('getRun and terminateRun use the run paths, with KFP’s `:terminate` verb', async () => {
    const api = await serve((req) => ({ json: req.method === 'GET' ? run('RUNNING') : {} }));
    const client = new ApiClient(api.url);
    await client.getRun('run/1');
    await client.terminateRun('run-1');
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /runs/run/1', 'POST /runs/run-1:terminate']);
  });

  test('streamTaskLog hands over chunks as they arrive, and asks to follow when told', async () => {
    const api = await serve(() => ({ chunks: ['step 1\n', 'step 2\n', 'done\n'], delayMs: 20 }));
    const chunks: string[] = [];
    await new ApiClient(api.url).streamTaskLog('run-1', 'train', { follow: true }, (c) => chunks.push(c));
    expect(chunks.join('')).toBe('step 1\nstep 2\ndone\n');
    expect(api.requests[0].path).toBe('/runs/run-1/tasks/train/logs');
    expect(api.requests[0].query.get('follow')).toBe('true');
  });

  test('a 4xx is an ApiError with the server’s message, and means bad input (exit 2)', async () => {
    const api = await serve(() => kfpError(404, 'run "nope" not found', 5));
    const err = await new ApiClient(api.url).getRun('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('run "nope" not found');
    expect((err as ApiError).status).toBe(404);
    expect(exitCodeFor(err)).toBe(ExitCode.BadInput);
  });

  test('a 5xx means the operation failed (exit 1); a body that is not JSON is shown as text', async () => {
    const api = await serve(() => ({ status: 502, chunks: ['upstream down'] }));
    const err = await new ApiClient(api.url).getRun('x').catch((e: unknown) => e);
    expect((err as ApiError).message).toBe('upstream down');
    expect(exitCodeFor(err)).toBe(ExitCode.Failed);
  });

  test('no server at the URL is ServerUnreachableError (exit 3), naming the URL and `sluice dev`', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = await new ApiClient(url).getRun('run-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerUnreachableError);
    expect((err as Error).message).toContain(url);
    expect((err as Error).message).toContain('sluice dev');
    expect(exitCodeFor(err)).toBe(ExitCode.Unreachable);
  });
});

/** A server (with the pipeline registry `run` uses) whose run moves one step through `states` on each GET; the last step repeats. */
function progressingRun(states: ReturnType<typeof run>[]) {
  let polls = 0;
  const registry = registryRoutes([{ experiment_id: 'exp-1', display_name: 'tuning' }]);
  return (req: RecordedRequest): FakeReply | undefined => {
    const registered = registry(req);
    if (registered) return registered;
    if (req.method === 'POST' && req.path === '/runs') return { json: run('PENDING', [], { display_name: (req.body as { display_name: string }).display_name }) };
    if (req.method === 'GET' && req.path === '/runs/run-1') return { json: states[Math.min(polls++, states.length - 1)] };
    return undefined;
  };
}

const started = { start_time: '2025-01-01T12:00:01Z' };
const ended = { ...started, end_time: '2025-01-01T12:00:03Z' };

describe('sluice run', () => {
  test('registers the file as a pipeline version, runs it with string parameters and prints the run id and links', async () => {
    const api = await serve(progressingRun([run('PENDING')]));
    const result = await cli(['run', SPEC_FILE, '-p', 'a=1', '-p', 'b=2', '--name', 'my run', '--experiment', 'exp-1'], {
      SLUICE_API: api.url,
      SLUICE_TEMPORAL_UI: 'http://temporal.example:8233',
    });
    expect(result.code).toBe(0);
    expect(requestTo(api.requests, 'POST', '/pipelines/create')?.body).toEqual({
      pipeline: { name: 'add-numbers' },
      pipeline_version: { pipeline_spec: expect.objectContaining({ pipelineInfo: { name: 'add-numbers' } }) },
    });
    expect(requestTo(api.requests, 'POST', '/runs')?.body).toEqual({
      display_name: 'my run',
      experiment_id: 'exp-1',
      pipeline_version_reference: { pipeline_id: 'pipe-1', pipeline_version_id: 'pipe-1-v1' },
      runtime_config: { parameters: { a: '1', b: '2' } },
    });
    expect(result.stdout).toContain('  Pipeline:    add-numbers, version pipe-1-v1 (a new pipeline)');
    expect(result.stdout).toContain('  Experiment:  tuning (exp-1)');
    expect(result.stdout).toContain('Run run-1 created: my run');
    expect(result.stdout).toContain(`Dashboard:   ${api.url}/#/runs/run-1`);
    expect(result.stdout).toContain('Temporal UI: http://temporal.example:8233/namespaces/default/workflows/run-1');
  });

  test('-a gives pipeline input artifacts by artifact id', async () => {
    const api = await serve(progressingRun([run('PENDING')]));
    const result = await cli(['run', SPEC_FILE, '-a', 'data=art-1', '--artifact', 'extra=art-2'], { SLUICE_API: api.url });
    expect(result.code).toBe(0);
    expect((requestTo(api.requests, 'POST', '/runs')?.body as { runtime_config: unknown }).runtime_config).toEqual({
      parameters: {},
      input_artifacts: { data: { artifact_id: 'art-1' }, extra: { artifact_id: 'art-2' } },
    });
  });

  test('--wait without a TTY prints one line per state change and exits 0 when the run SUCCEEDED', async () => {
    const api = await serve(
      progressingRun([
        run('RUNNING', [task('add', 'RUNNING', started)]),
        run('RUNNING', [task('add', 'RUNNING', started)]),
        run('SUCCEEDED', [task('add', 'SUCCEEDED', ended)], { finished_at: '2025-01-01T12:00:04Z' }),
      ]),
    );
    const result = await cli(['run', SPEC_FILE, '--wait'], { SLUICE_API: api.url });
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((l) => /^\d\d:\d\d:\d\d /.test(l)).map((l) => l.slice(9))).toEqual(['[run] RUNNING', 'add RUNNING', '[run] SUCCEEDED', 'add SUCCEEDED']);
    expect(lines.at(-1)).toBe('Run run-1 SUCCEEDED in 4.0s');
  });

  test('--wait exits 1 for a failed run and ends with its error', async () => {
    const error = { code: 2, message: 'task add failed with exit code 3\n--- log tail ---\nboom', details: [] };
    const api = await serve(progressingRun([run('FAILED', [task('add', 'FAILED', { ...ended, error })], { finished_at: '2025-01-01T12:00:04Z', error })]));
    const result = await cli(['run', SPEC_FILE, '--wait'], { SLUICE_API: api.url });
    expect(result.code).toBe(1);
    expect(result.stdout.trimEnd().endsWith('Run run-1 FAILED after 4.0s\ntask add failed with exit code 3\n--- log tail ---\nboom')).toBe(true);
  });

  test('--wait exits 1 for a canceled run', async () => {
    const api = await serve(progressingRun([run('CANCELED', [], { finished_at: '2025-01-01T12:00:04Z' })]));
    expect((await cli(['run', SPEC_FILE, '--wait'], { SLUICE_API: api.url })).code).toBe(1);
  });

  test('a 4xx from the server (invalid spec, say) exits 2 with the server’s message', async () => {
    const registry = registryRoutes();
    const api = await serve((req) => (req.path === '/pipelines/create' ? kfpError(400, 'pipeline_version.pipeline_spec: root.dag has no tasks', 3) : registry(req)));
    const result = await cli(['run', SPEC_FILE], { SLUICE_API: api.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: pipeline_version.pipeline_spec: root.dag has no tasks (HTTP 400)\n');
  });

  test('an unreachable server exits 3 and says which URL and to start `sluice dev`', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await cli(['run', SPEC_FILE, '--api', url]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach the Sluice API at ${url}`);
    expect(result.stderr).toContain('sluice dev');
  });

  test('an SDK module is compiled before it is sent', async () => {
    const api = await serve(progressingRun([run('PENDING')]));
    const module = join(dir, 'hello.ts');
    writeFileSync(
      module,
      `import { Param, containerComponent, pipeline } from ${JSON.stringify(resolve(__dirname, '../../sdk'))};
const echo = containerComponent({ name: 'echo', image: 'alpine', inputs: { msg: Param.string() }, command: () => ['echo'], args: (io) => [io.inputs.msg] });
export default pipeline({ name: 'hello', inputs: { msg: Param.string('hi') } }, ({ msg }) => { echo({ msg }); });
`,
    );
    const result = await cli(['run', module, '-p', 'msg=there'], { SLUICE_API: api.url });
    expect(result.code).toBe(0);
    const body = requestTo(api.requests, 'POST', '/pipelines/create')?.body as { pipeline_version: { pipeline_spec: { pipelineInfo: { name: string }; root: { dag: { tasks: object } } } } };
    expect(body.pipeline_version.pipeline_spec.pipelineInfo.name).toBe('hello');
    expect(Object.keys(body.pipeline_version.pipeline_spec.root.dag.tasks)).toEqual(['echo']);
  });
});

describe('sluice runs', () => {
  test('list prints a table, passes the filters (an experiment by name), and --json prints the runs', async () => {
    const experiments = registryRoutes([{ experiment_id: 'exp-1', display_name: 'tuning' }]);
    const api = await serve((req) => experiments(req) ?? { json: { runs: [run('SUCCEEDED', [], { finished_at: '2025-01-01T12:00:42Z' })], total_size: 3 } });
    const table = await cli(['runs', 'list', '--state', 'SUCCEEDED', '--limit', '1', '--experiment', 'tuning'], { SLUICE_API: api.url });
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(
      [
        'RUN ID  NAME           PIPELINE     STATE        CREATED              DURATION',
        'run-1   add-numbers 1  add-numbers  ✔ SUCCEEDED  2025-01-01 12:00:00  42s',
        '1 of 3 runs; --limit shows more.',
        '',
      ].join('\n'),
    );
    const { query } = requestTo(api.requests, 'GET', '/runs') as RecordedRequest;
    expect(query.get('page_size')).toBe('1');
    expect(query.get('experiment_id')).toBe('exp-1');
    expect(query.get('filter')).toContain('"string_value":"SUCCEEDED"');

    const json = await cli(['runs', 'list', '--json'], { SLUICE_API: api.url });
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ run_id: 'run-1', state: 'SUCCEEDED' })]);
  });

  test('get shows the summary, the task table and the output parameters', async () => {
    const detail = run(
      'SUCCEEDED',
      [task('add', 'SUCCEEDED', { ...ended, pod_name: 'sluice-run-1-add-1', output_parameters: { Output: 3 } })],
      { finished_at: '2025-01-01T12:00:04Z', pipeline_spec: { pipelineInfo: { name: 'add-numbers' }, schemaVersion: '2.1.0', components: {}, deploymentSpec: { executors: {} }, root: { dag: { tasks: {} } } } },
    );
    const api = await serve(() => ({ json: detail }));
    const result = await cli(['runs', 'get', 'run-1'], { SLUICE_API: api.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Pipeline:     add-numbers\n');
    expect(result.stdout).toContain('State:        ✔ SUCCEEDED\n');
    expect(result.stdout).toContain('Parameters:   a=1, b=2\n');
    expect(result.stdout).toContain('TASK  STATE        ATTEMPTS  STARTED              DURATION  POD/PROCESS\nadd   ✔ SUCCEEDED  1         2025-01-01 12:00:01  2.0s      sluice-run-1-add-1\n');
    expect(result.stdout).toContain('Output parameters:\n  add.Output = 3\n');
  });

  test('get shows the input artifacts a run was given', async () => {
    const given = run('RUNNING', [], { runtime_config: { parameters: {}, input_artifacts: { data: { artifact_id: 'art-1' }, shards: { artifact_ids: ['a', 'b'] } } } });
    const api = await serve(() => ({ json: given }));
    const result = await cli(['runs', 'get', 'run-1'], { SLUICE_API: api.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Input artifacts: +data=art-1, shards=a,b\n/);
  });

  test('get of an unknown run exits 2 with the server’s message', async () => {
    const api = await serve(() => kfpError(404, 'run "nope" not found', 5));
    const result = await cli(['runs', 'get', 'nope'], { SLUICE_API: api.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('run "nope" not found');
  });

  test('terminate posts :terminate; a conflict (already finished) is a 4xx, exit 2', async () => {
    const ok = await serve(() => ({ json: {} }));
    const done = await cli(['runs', 'terminate', 'run-1'], { SLUICE_API: ok.url });
    expect(done.code).toBe(0);
    expect(ok.requests[0]).toMatchObject({ method: 'POST', path: '/runs/run-1:terminate' });

    const finished = await serve(() => kfpError(409, 'run run-1 already finished (SUCCEEDED)', 9));
    const refused = await cli(['runs', 'terminate', 'run-1'], { SLUICE_API: finished.url });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already finished');
  });

  test('retry posts :retry; a refusal (the run succeeded, or is still running) is a 4xx, exit 2', async () => {
    const ok = await serve(() => ({ json: {} }));
    const done = await cli(['runs', 'retry', 'run-1'], { SLUICE_API: ok.url });
    expect(done.code).toBe(0);
    expect(ok.requests[0]).toMatchObject({ method: 'POST', path: '/runs/run-1:retry' });
    expect(done.stdout).toContain('Run run-1 is running again');

    const running = await serve(() => kfpError(409, 'run "run-1" is RUNNING: it has not finished (or is being retried); only a FAILED or CANCELED run can be retried', 10));
    const refused = await cli(['runs', 'retry', 'run-1'], { SLUICE_API: running.url });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is RUNNING');
  });

  test('a server error is exit 1', async () => {
    const api = await serve(() => kfpError(500, 'database is down', 13));
    expect((await cli(['runs', 'list'], { SLUICE_API: api.url })).code).toBe(1);
  });
});

describe('sluice logs', () => {
  const detail = run('FAILED', [
    task('train', 'FAILED', { start_time: '2025-01-01T12:00:05Z', end_time: '2025-01-01T12:00:09Z' }),
    task('prepare', 'SUCCEEDED', ended),
    task('report', 'SKIPPED'),
  ]);

  test('without TASK: every task that ran, in start order, each under a header', async () => {
    const api = await serve((req) => {
      if (req.path === '/runs/run-1') return { json: detail };
      if (req.path === '/runs/run-1/tasks/root/prepare/logs') return { chunks: ['loading\n', 'ok'] };
      if (req.path === '/runs/run-1/tasks/root/train/logs') return kfpError(404, 'no log file', 5);
      return undefined;
    });
    const result = await cli(['logs', 'run-1'], { SLUICE_API: api.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('==> prepare (SUCCEEDED) <==\nloading\nok\n\n==> train (FAILED) <==\n(no log)\n');
  });

  test('with TASK --follow: streams that task’s log', async () => {
    const api = await serve(() => ({ chunks: ['epoch 1\n', 'epoch 2\n'], delayMs: 10 }));
    const result = await cli(['logs', 'run-1', 'train', '--follow'], { SLUICE_API: api.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('epoch 1\nepoch 2\n');
    expect(api.requests[0].query.get('follow')).toBe('true');
  });

  test('--follow without TASK follows each task in turn until the run is over', async () => {
    const api = await serve((req) => {
      if (req.path === '/runs/run-1') return { json: detail };
      if (req.path.endsWith('/logs')) return { chunks: [`${req.path.split('/').at(-2)} says hi\n`] };
      return undefined;
    });
    const result = await cli(['logs', 'run-1', '--follow'], { SLUICE_API: api.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('==> prepare (SUCCEEDED) <==\nprepare says hi\n\n==> train (FAILED) <==\ntrain says hi\n');
  });
});

describe('sluice cache', () => {
  const entry = { namespace: 'team-a', pipeline_name: 'p', fingerprint: 'f'.repeat(64), run_id: 'run-1', task_id: 't-1', task_path: 'root/make', create_time: '2026-01-02T03:04:05Z' };

  test('list and clear send their filters and the token, like every command', async () => {
    const api = await serve((req) => {
      if (req.path !== '/cache/entries') return undefined;
      return req.method === 'GET' ? { json: { entries: [entry], total_size: 1 } } : { json: { deleted_count: 1 } };
    });
    const listed = await cli(['--api', api.url, '--token', 'sluice_t', 'cache', 'list', '--namespace', 'team-a', '--pipeline', 'p', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([entry]);
    const cleared = await cli(['cache', 'clear', '--namespace', 'team-a', '--fingerprint', entry.fingerprint], { SLUICE_API: api.url, SLUICE_TOKEN: 'sluice_env' });
    expect(cleared).toMatchObject({ code: 0, stdout: 'Deleted 1 cache entry; tasks that start from now on run again.\n' });
    expect(api.requests.map((r) => [r.method, Object.fromEntries(r.query), r.authorization])).toEqual([
      ['GET', { pipeline_name: 'p', namespace: 'team-a', page_size: '20' }, 'Bearer sluice_t'],
      ['DELETE', { fingerprint: entry.fingerprint, namespace: 'team-a' }, 'Bearer sluice_env'],
    ]);
  });

  test('a refused clear (403 for a namespace the token does not reach) exits with the server\'s message', async () => {
    const api = await serve(() => kfpError(403, 'token "ci" cannot access namespace "team-b"', 7));
    const result = await cli(['--api', api.url, '--token', 'sluice_t', 'cache', 'clear', '--namespace', 'team-b']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('cannot access namespace "team-b"');
  });
});
