import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExitCode } from '../../cli/exit-codes';
import { PROJECT_ROOT } from '../../config/config';
import { parsePipelineDocument } from '../../ir/parse';
import type { DagSpec } from '../../ir/types';
import { startTestEngine, taskByName, type ApiRun, type TestEngine } from '../support/engine';
import { compileKfpPipeline } from '../support/kfp-compile';
import { INLINE_WINDOW_MS } from '../../workflows/task-activity-options';
import { stepWritableDir } from '../support/temp-dirs';
import { cli } from '../cli/harness';

const fixture = (name: string) => join(__dirname, 'fixtures', name);
const CHAIN = fixture('retry-chain.yaml');
const LOOP = fixture('retry-loop.yaml');

/** What the steps recorded, one line per execution, in order. */
const executions = (dir: string): string[] => (existsSync(join(dir, 'executions')) ? readFileSync(join(dir, 'executions'), 'utf8').trim().split('\n') : []);
const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;
const PYTHON = join(PROJECT_ROOT, '.venv', 'bin', 'python');
/**
 * kfp 2.17's `kfp.Client` has no `retry_run`; its generated `RunServiceApi` (which the client
 * holds as `_run_api`) has `run_service_retry_run`, which posts `/apis/v2beta1/runs/{id}:retry`.
 */
const KFP_RETRY = `
import sys, warnings
warnings.filterwarnings('ignore')
import kfp
from kfp_server_api.exceptions import ApiException
client = kfp.Client(host=sys.argv[1], existing_token=sys.argv[2])
try:
    client._run_api.run_service_retry_run(run_id=sys.argv[3])
    print('retried')
except ApiException as e:
    print(e.status)
`;

/** `POST /runs/{id}:retry` against the whole engine: the real API, Temporal, worker and PostgreSQL. */
describe('retrying a run', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('run_retry');
  });
  afterAll(async () => {
    await engine?.stop();
  });

  const retry = async (runId: string) => {
    const res = await engine.fetch(`/apis/v2beta1/runs/${encodeURIComponent(runId)}:retry`, { method: 'POST' });
    return { status: res.status, body: (await res.json()) as { message?: string; code?: number } };
  };
  const failedChain = async (): Promise<{ runId: string; dir: string; run: ApiRun }> => {
    const dir = stepWritableDir('retry-chain');
    const { run_id: runId } = await engine.createRun(CHAIN, { dir });
    const run = await engine.waitForRun(runId);
    expect(run.state).toBe('FAILED');
    return { runId, dir, run };
  };

  test('a failed chain resumes at its failed step, in the same run, reusing what succeeded', async () => {
    const { runId, dir, run: failed } = await failedChain();
    expect(executions(dir)).toEqual(['first', 'middle']);
    expect(taskByName(failed, 'middle').state).toBe('FAILED');
    expect(taskByName(failed, 'last').state).toBe('SKIPPED');
    const firstValue = taskByName(failed, 'first').output_parameters?.value as string;

    writeFileSync(join(dir, 'go'), '');
    expect(await retry(runId)).toEqual({ status: 200, body: {} });
    // The claim is synchronous: the run is RUNNING again before the workflow has done anything.
    const reopened = await engine.getRun(runId);
    expect(reopened).toMatchObject({ state: 'RUNNING', retry_count: 1 });
    expect(reopened.finished_at).toBeUndefined();

    const run = await engine.waitForRun(runId);
    expect(run.state).toBe('SUCCEEDED');
    expect(run.error).toBeUndefined();
    const lines = executions(dir);
    expect([count(lines, 'first'), count(lines, 'middle'), count(lines, 'last')]).toEqual([1, 2, 1]);
    // `first` kept its recorded output, which flowed on to `middle` and `last`.
    expect(taskByName(run, 'first')).toMatchObject({ state: 'SUCCEEDED', attempts: 1, output_parameters: { value: firstValue } });
    expect(taskByName(run, 'last')).toMatchObject({ state: 'SUCCEEDED', attempts: 1, output_parameters: { value: `${firstValue}-b-c` } });
    // Both launches of `middle` stay visible: the failed one as an earlier attempt.
    const middle = taskByName(run, 'middle');
    expect(middle).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
    expect((middle.executor_detail as { failed_main_jobs: string[] }).failed_main_jobs).toEqual([taskByName(failed, 'middle').pod_name]);
    expect((middle.state_history as { state: string }[]).map((s) => s.state)).toEqual(['PENDING', 'RUNNING', 'FAILED', 'RUNNING', 'SUCCEEDED']);
    expect(middle.pod_name).not.toBe(taskByName(failed, 'middle').pod_name);
    const launches = await engine.store.listTaskAttempts(runId, 'root/middle');
    expect(launches.map((a) => [a.attempt, a.state])).toEqual([[1, 'FAILED'], [2, 'SUCCEEDED']]);
    expect(launches[0].error?.message).toContain('exit code 1');
    // Each launch keeps its own log.
    const log = async (attempt: number) => (await engine.fetch(`/apis/v2beta1/runs/${runId}/tasks/middle/logs?attempt=${attempt}`)).text();
    expect(await log(1)).toContain('no go file');
    expect(await log(2)).not.toContain('no go file');
    // The run's history keeps its first attempt's failure.
    expect((run.state_history as { state: string }[]).map((s) => s.state)).toEqual(['PENDING', 'RUNNING', 'FAILED', 'RUNNING', 'SUCCEEDED']);
    expect(run).toMatchObject({ retry_count: 1 });

    // Only a FAILED or CANCELED run can be retried.
    const again = await retry(runId);
    expect(again.status).toBe(400);
    expect(again.body.message).toContain('SUCCEEDED');
    expect(again.body.message).toContain('only a FAILED or CANCELED run');
  });

  test('a failed loop iteration runs again; the succeeded ones are reused', async () => {
    const dir = stepWritableDir('retry-loop');
    const { run_id: runId } = await engine.createRun(LOOP, { dir });
    expect((await engine.waitForRun(runId)).state).toBe('FAILED');
    expect(executions(dir).sort()).toEqual(['work 0', 'work 1', 'work 2']);

    writeFileSync(join(dir, 'go'), '');
    expect((await retry(runId)).status).toBe(200);
    const run = await engine.waitForRun(runId);
    expect(run.state).toBe('SUCCEEDED');
    const lines = executions(dir);
    expect(['work 0', 'work 1', 'work 2', 'after'].map((l) => count(lines, l))).toEqual([1, 2, 1, 1]);
    const launches = await engine.store.listTaskAttempts(runId);
    const byTask = (path: string) => launches.filter((a) => a.taskPath === path).map((a) => a.state);
    expect(byTask('root/for-loop-1[0]/work')).toEqual(['SUCCEEDED']);
    expect(byTask('root/for-loop-1[1]/work')).toEqual(['FAILED', 'SUCCEEDED']);
    expect(byTask('root/for-loop-1[2]/work')).toEqual(['SUCCEEDED']);
    const tasks = await engine.store.listTasks(runId);
    expect(tasks.filter((t) => t.state !== 'SUCCEEDED').map((t) => t.taskPath)).toEqual([]);
  });

  test("a large loop's iterations run in child workflows: there too only the failed one runs again", async () => {
    const dir = stepWritableDir('retry-big-loop');
    // 201 single-task iterations: past FANOUT.inlineTasks, so blocks of them run as dagBatchRun
    // children (of FANOUT.tasksPerChildInSeries tasks: all 201 in one, its iterations in series).
    const { spec } = parsePipelineDocument(readFileSync(LOOP, 'utf8'));
    const items = Array.from({ length: 201 }, (_, i) => i);
    (spec.root.dag as DagSpec).tasks['for-loop-1'].parameterIterator = { itemInput: 'pipelinechannel--loop-item-param-1', items: { raw: JSON.stringify(items) } };
    const file = join(dir, 'big-loop.json');
    writeFileSync(file, JSON.stringify(spec));
    const { run_id: runId } = await engine.createRun(file, { dir });
    expect((await engine.waitForRun(runId, 300_000)).state).toBe('FAILED');
    expect(await engine.temporal.workflow.getHandle(`${runId}/root/for-loop-1/0-200`).describe()).toBeDefined();

    writeFileSync(join(dir, 'go'), '');
    expect((await retry(runId)).status).toBe(200);
    expect((await engine.waitForRun(runId, 300_000)).state).toBe('SUCCEEDED');
    const lines = executions(dir);
    expect(count(lines, 'work 1')).toBe(2);
    expect(items.filter((i) => i !== 1).every((i) => count(lines, `work ${i}`) === 1)).toBe(true);
    expect(count(lines, 'after')).toBe(1);
  });

  test("a task's KFP retry policy counts its launches afresh in each retry of the run", async () => {
    const dir = stepWritableDir('retry-policy');
    const { spec } = parsePipelineDocument(readFileSync(CHAIN, 'utf8'));
    (spec.root.dag as DagSpec).tasks.middle.retryPolicy = { maxRetryCount: 1, backoffDuration: '0s', backoffFactor: 1, backoffMaxDuration: '1s' };
    const file = join(dir, 'chain-with-policy.json');
    writeFileSync(file, JSON.stringify(spec));
    const { run_id: runId } = await engine.createRun(file, { dir });
    expect((await engine.waitForRun(runId)).state).toBe('FAILED');
    // Still no go file: the retry's two launches fail too, and the run fails again.
    expect((await retry(runId)).status).toBe(200);
    expect((await engine.waitForRun(runId)).state).toBe('FAILED');
    writeFileSync(join(dir, 'go'), '');
    expect((await retry(runId)).status).toBe(200);
    expect(await engine.waitForRun(runId)).toMatchObject({ state: 'SUCCEEDED', retry_count: 2 });
    const launches = await engine.store.listTaskAttempts(runId, 'root/middle');
    expect(launches.map((a) => [a.attempt, a.state])).toEqual([[1, 'FAILED'], [2, 'FAILED'], [3, 'FAILED'], [4, 'FAILED'], [5, 'SUCCEEDED']]);
    expect(launches[0].error?.message).toContain('(launch 1 of 2, will retry)');
    expect(launches[2].error?.message).toContain('(launch 3 of 4, will retry)');
    expect(count(executions(dir), 'first')).toBe(1);
  });

  test('exit handlers: the failed group runs its failed task again; an exit task that succeeded is kept', async () => {
    const dir = stepWritableDir('retry-exit-handlers');
    const file = compileKfpPipeline(join(__dirname, 'kfp-pipelines', 'exit_handlers.py'), dir);
    const { run_id: runId } = await engine.createRun(file, { dir });
    expect((await engine.waitForRun(runId, 120_000)).state).toBe('FAILED');
    const before = executions(dir);
    expect(count(before, 'boom:f')).toBe(1);

    // `boom` always fails: the retry fails again, having run only `boom` (and nothing it skips).
    expect((await retry(runId)).status).toBe(200);
    const run = await engine.waitForRun(runId, 120_000);
    expect(run.state).toBe('FAILED');
    const after = executions(dir);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length)).toEqual(['boom:f']);
    const tasks = new Map((await engine.store.listTasks(runId)).map((t) => [t.taskPath, t.state]));
    expect(Object.fromEntries(['root/exit-handler-4/boom', 'root/exit-handler-4/after-boom', 'root/exit-handler-4', 'root/report-status-2'].map((p) => [p, tasks.get(p)]))).toEqual({
      'root/exit-handler-4/boom': 'FAILED',
      'root/exit-handler-4/after-boom': 'SKIPPED',
      'root/exit-handler-4': 'FAILED',
      'root/report-status-2': 'SUCCEEDED',
    });
  });

  test('two retries at once: one takes effect, the other is refused with 409', async () => {
    const { runId, dir } = await failedChain();
    const answers = await Promise.all([retry(runId), retry(runId)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)?.body.message).toContain('RUNNING');
    // No go file: the retry fails again, at the same step, with one more launch of it.
    const run = await engine.waitForRun(runId);
    expect(run).toMatchObject({ state: 'FAILED', retry_count: 1 });
    expect(executions(dir)).toEqual(['first', 'middle', 'middle']);
    expect((await engine.store.listTaskAttempts(runId, 'root/middle')).map((a) => a.state)).toEqual(['FAILED', 'FAILED']);
    expect((run.state_history as { state: string }[]).map((s) => s.state)).toEqual(['PENDING', 'RUNNING', 'FAILED', 'RUNNING', 'FAILED']);
  });

  test('a running run, an unknown run, an archived run and a run without a workflow history are refused', async () => {
    const dir = stepWritableDir('retry-running');
    const { run_id: runId } = await engine.createRun(fixture('slow.yaml'), { dir });
    while (!existsSync(join(dir, 'slow.pid'))) await new Promise((r) => setTimeout(r, 100));
    const running = await retry(runId);
    expect(running.status).toBe(409);
    expect(running.body.message).toContain('RUNNING');
    await engine.fetch(`/apis/v2beta1/runs/${runId}:terminate`, { method: 'POST' });
    expect((await engine.waitForRun(runId)).state).toBe('CANCELED');

    expect((await retry('no-such-run')).status).toBe(404);

    // A run whose workflow never started (its start failed): the claim is released, the run stays as it was.
    const orphan = randomUUID();
    const now = new Date();
    const { spec } = parsePipelineDocument(readFileSync(CHAIN, 'utf8'));
    await engine.store.createRun({ runId: orphan, displayName: 'orphan', description: '', experimentId: (await engine.store.getDefaultExperiment()).experimentId, spec, parameters: {}, state: 'PENDING', createdAt: now, scheduledAt: now });
    await engine.store.recordRunState(orphan, { state: 'FAILED', at: now, error: { message: 'could not start' } });
    const noHistory = await retry(orphan);
    expect(noHistory.status).toBe(400);
    expect(noHistory.body.message).toContain('no workflow history');
    const restored = await engine.getRun(orphan);
    expect(restored).toMatchObject({ state: 'FAILED', retry_count: 0, error: { message: 'could not start' } });
    expect((restored.state_history as { state: string }[]).map((h) => h.state)).toEqual(['PENDING', 'FAILED']);

    const { runId: archived } = await failedChain();
    await engine.fetch(`/apis/v2beta1/runs/${archived}:archive`, { method: 'POST' });
    const refused = await retry(archived);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('archived');
    expect(await engine.getRun(archived)).toMatchObject({ state: 'FAILED', retry_count: 0 });
  });

  test('a claim whose API died before starting the workflow: terminate ends it, and the run can be retried', async () => {
    const { runId, dir } = await failedChain();
    // What an API killed between its two steps leaves: the attempt claimed, no workflow started.
    expect(await engine.store.claimRunRetry(runId, new Date())).toMatchObject({ claimed: true, attempt: 1 });
    expect((await retry(runId)).status).toBe(409);
    expect((await engine.fetch(`/apis/v2beta1/runs/${runId}:terminate`, { method: 'POST' })).status).toBe(200);
    expect(await engine.getRun(runId)).toMatchObject({ state: 'CANCELED', retry_count: 1 });

    writeFileSync(join(dir, 'go'), '');
    expect((await retry(runId)).status).toBe(200);
    expect(await engine.waitForRun(runId)).toMatchObject({ state: 'SUCCEEDED', retry_count: 2 });
    expect(executions(dir)).toEqual(['first', 'middle', 'middle', 'last']);
  });

  test('a CANCELED run can be retried: the canceled task runs again, the finished one does not', async () => {
    const dir = stepWritableDir('retry-canceled');
    // Long enough that the cancellation reaches it: a run sees one when its workflow task closes
    // (see ARCHITECTURE "Steps run inline first"), here when the step outlives its inline window.
    const { run_id: runId } = await engine.createRun(fixture('slow.yaml'), { dir, seconds: Math.ceil(INLINE_WINDOW_MS / 1000) + 2 });
    while (!existsSync(join(dir, 'slow.pid'))) await new Promise((r) => setTimeout(r, 100));
    await engine.fetch(`/apis/v2beta1/runs/${runId}:terminate`, { method: 'POST' });
    expect((await engine.waitForRun(runId)).state).toBe('CANCELED');
    expect(executions(dir)).toEqual(['first', 'slow']);

    expect((await retry(runId)).status).toBe(200);
    const run = await engine.waitForRun(runId);
    expect(run.state).toBe('SUCCEEDED');
    expect(executions(dir)).toEqual(['first', 'slow', 'slow', 'last']);
    expect((await engine.store.listTaskAttempts(runId, 'root/slow')).map((a) => a.state)).toEqual(['CANCELED', 'SUCCEEDED']);
    expect((run.state_history as { state: string }[]).map((s) => s.state)).toEqual(['PENDING', 'RUNNING', 'CANCELING', 'CANCELED', 'RUNNING', 'SUCCEEDED']);
  });

  test("kfp's generated client retries a run through the same route", async () => {
    if (!existsSync(PYTHON)) throw new Error(`no Python venv at ${PYTHON}: npm run setup creates it`);
    const { runId, dir } = await failedChain();
    writeFileSync(join(dir, 'go'), '');
    const python = (id: string) => promisify(execFile)(PYTHON, ['-c', KFP_RETRY, engine.apiUrl, engine.token, id], { timeout: 60_000 });
    expect((await python(runId)).stdout.trim().split('\n').at(-1)).toBe('retried');
    expect((await engine.waitForRun(runId)).state).toBe('SUCCEEDED');
    expect(executions(dir)).toEqual(['first', 'middle', 'middle', 'last']);
    expect((await python(runId)).stdout.trim().split('\n').at(-1)).toBe('400');
  });

  test('sluice runs retry retries through the API, and runs get shows the retry count', async () => {
    // The CLI finds the stack's local token in its data dir, as it does for a user of `sluice dev`.
    const sluice = (...argv: string[]) => cli(['--api', engine.apiUrl, ...argv], { SLUICE_DATA_DIR: engine.config.dataDir });
    const { runId, dir } = await failedChain();
    writeFileSync(join(dir, 'go'), '');
    const done = await sluice('runs', 'retry', runId);
    expect(done).toMatchObject({ code: ExitCode.Success, stderr: '' });
    expect(done.stdout).toContain(`Run ${runId} is running again`);
    expect((await engine.waitForRun(runId)).state).toBe('SUCCEEDED');
    expect((await sluice('runs', 'get', runId)).stdout).toMatch(/Retries:\s+1\n/);

    const refused = await sluice('runs', 'retry', runId);
    expect(refused.code).toBe(ExitCode.BadInput);
    expect(refused.stderr).toContain('SUCCEEDED');
  });
});
