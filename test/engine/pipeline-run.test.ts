import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestEngine, taskByName, type TestEngine } from '../support/engine';
import { stepWritableDir } from '../support/temp-dirs';
import { INLINE_WINDOW_MS } from '../../workflows/task-activity-options';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('pipelineRun on the real stack', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine('engine', { parallelism: 2 });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  test('passes parameters and artifacts between tasks and records everything', async () => {
    const { run_id } = await engine.createRun(fixture('two-step.yaml'), { times: '3' });
    const run = await engine.waitForRun(run_id);
    expect(run.state).toBe('SUCCEEDED');
    expect(taskByName(run, 'produce').output_parameters).toEqual({ message: 'hello x3' });
    expect(taskByName(run, 'consume').output_parameters).toEqual({ lines: 3 });

    const tasks = await engine.store.listTasks(run_id);
    expect(tasks.map((t) => [t.taskPath, t.state, t.attempts])).toEqual(
      expect.arrayContaining([['root/produce', 'SUCCEEDED', 1], ['root/consume', 'SUCCEEDED', 1]]),
    );
    const consume = tasks.find((t) => t.taskPath === 'root/consume');
    expect(consume?.inputs.parameters).toEqual({ message: 'hello x3' });
    const [artifact] = await engine.store.listArtifacts(run_id);
    expect(artifact).toMatchObject({ schemaTitle: 'system.Dataset', producerTaskPath: 'root/produce', outputKey: 'data' });
    expect(readFileSync(artifact.uri, 'utf8')).toBe('hello\nhello\nhello\n');
    expect(consume?.inputs.artifacts.data).toEqual([artifact.artifactId]);
    const lineage = await engine.store.listLineage(run_id);
    expect(lineage).toEqual(expect.arrayContaining([
      expect.objectContaining({ artifactId: artifact.artifactId, taskPath: 'root/produce', direction: 'OUTPUT', key: 'data' }),
      expect.objectContaining({ artifactId: artifact.artifactId, taskPath: 'root/consume', direction: 'INPUT', key: 'data' }),
    ]));
    const [attempt] = await engine.store.listTaskAttempts(run_id, 'root/consume');
    expect(readFileSync(attempt.logUri, 'utf8')).toContain("got 'hello x3' and 3 lines");

    const stored = await engine.store.getRun(run_id);
    expect(stored?.stateHistory.map((h) => h.state)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
  });

  test('a failing step fails the run with its exit code and log tail; dependents are skipped', async () => {
    const { run_id } = await engine.createRun(fixture('fail.yaml'));
    const run = await engine.waitForRun(run_id);
    expect(run.state).toBe('FAILED');
    expect(run.error?.message).toMatch(/exit code 3/);
    expect(run.error?.message).toContain('boom: out of cheese');
    expect(run.error?.message).toContain('line 5');
    expect(taskByName(run, 'bad').state).toBe('FAILED');
    expect(taskByName(run, 'after-bad').state).toBe('SKIPPED');
    expect(taskByName(run, 'other').state).toBe('SUCCEEDED');
    // The run records its end just before its workflow closes: wait for the close itself.
    const handle = engine.temporal.workflow.getHandle(run_id);
    await handle.result().catch(() => undefined);
    const description = await handle.describe();
    expect(description.status.name).toBe('FAILED');
  });

  test("KFP's retry policy relaunches a failing step until it succeeds", async () => {
    const dir = stepWritableDir('retry');
    const counter = join(dir, 'launches');
    const { run_id } = await engine.createRun(fixture('retry.yaml'), { counter });
    const run = await engine.waitForRun(run_id);
    expect(run.state).toBe('SUCCEEDED');
    expect(readFileSync(counter, 'utf8')).toBe('x\nx\nx\n');
    const attempts = await engine.store.listTaskAttempts(run_id, 'root/flaky');
    expect(attempts.map((a) => [a.attempt, a.state, a.exitCode])).toEqual([[1, 'FAILED', 1], [2, 'FAILED', 1], [3, 'SUCCEEDED', 0]]);
    expect((await engine.store.getTask(run_id, 'root/flaky'))?.attempts).toBe(3);
  });

  test('without a retry policy a failing step runs once', async () => {
    const { run_id } = await engine.createRun(fixture('fail.yaml'));
    await engine.waitForRun(run_id);
    expect(await engine.store.listTaskAttempts(run_id, 'root/bad')).toHaveLength(1);
  });

  test('parallelism bounds how many tasks run at once', async () => {
    const dir = stepWritableDir('wide');
    const { run_id } = await engine.createRun(fixture('wide.yaml'), { dir });
    const run = await engine.waitForRun(run_id);
    expect(run.state).toBe('SUCCEEDED');
    let running = 0;
    let peak = 0;
    for (const line of readFileSync(join(dir, 'events'), 'utf8').trim().split('\n')) {
      running += line.startsWith('start') ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(2);
  });

  test('terminate kills the running step and its children, and the run ends CANCELED', async () => {
    const dir = stepWritableDir('term');
    const { run_id } = await engine.createRun(fixture('slow.yaml'), { dir });
    await until('the slow step to start', () => existsSync(join(dir, 'slow.child.pid')));
    const pid = Number(readFileSync(join(dir, 'slow.pid'), 'utf8'));
    const child = Number(readFileSync(join(dir, 'slow.child.pid'), 'utf8'));
    expect(alive(pid) && alive(child)).toBe(true);

    const res = await engine.fetch(`/apis/v2beta1/runs/${run_id}:terminate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const run = await engine.waitForRun(run_id);
    expect(run.state).toBe('CANCELED');
    expect(run.error?.message).toBe('terminated on request; tasks that had not finished were canceled');
    await until('the step processes to exit', () => !alive(pid) && !alive(child), 10_000);
    expect(taskByName(run, 'slow').state).toBe('CANCELED');
    expect(readFileSync(join(dir, 'executions'), 'utf8')).toBe('first\nslow\n');
    // The run records its end just before its workflow closes: wait for the close itself.
    const handle = engine.temporal.workflow.getHandle(run_id);
    await handle.result().catch(() => undefined);
    const description = await handle.describe();
    expect(description.status.name).toBe('CANCELLED');
  });

  describe('steps run inline first (a local activity), and as runTask once they outlive INLINE_WINDOW_MS', () => {
    /** The task paths the run scheduled `runTask` activities for, and how many local activities it recorded. */
    async function activitiesOf(runId: string): Promise<{ runTask: string[]; inline: number }> {
      const events = (await engine.temporal.workflow.getHandle(runId).fetchHistory()).events ?? [];
      return {
        runTask: events.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTask' ? [e.activityTaskScheduledEventAttributes.activityId ?? ''] : [])),
        inline: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
      };
    }

    test('steps that end within the window never reach the activity task queue', async () => {
      const dir = stepWritableDir('inline-fast');
      const { run_id } = await engine.createRun(fixture('slow.yaml'), { dir, seconds: 0 });
      expect((await engine.waitForRun(run_id)).state).toBe('SUCCEEDED');
      const activities = await activitiesOf(run_id);
      expect(activities.runTask).toEqual([]);
      expect(activities.inline).toBeGreaterThanOrEqual(3);
      expect(readFileSync(join(dir, 'executions'), 'utf8')).toBe('first\nslow\nlast\n');
    });

    test('a step that outlives the window is handed to runTask, which reattaches to the same launch', async () => {
      const dir = stepWritableDir('inline-detach');
      const { run_id } = await engine.createRun(fixture('slow.yaml'), { dir, seconds: Math.ceil(INLINE_WINDOW_MS / 1000) + 2 });
      const run = await engine.waitForRun(run_id);
      expect(run.state).toBe('SUCCEEDED');
      expect((await activitiesOf(run_id)).runTask).toEqual(['root/slow']);
      // One execution, one launch: the hand-over did not start the step again.
      expect(readFileSync(join(dir, 'executions'), 'utf8')).toBe('first\nslow\nlast\n');
      const attempts = await engine.store.listTaskAttempts(run_id, 'root/slow');
      expect(attempts.map((a) => [a.attempt, a.state, a.exitCode])).toEqual([[1, 'SUCCEEDED', 0]]);
    });

    test('terminating a run lets the step running inline end, and starts none after it', async () => {
      // Each step ends inside the window, so the workflow task stays open from step to step and
      // sees the cancellation only at its heartbeat (8 s), most likely while a step runs inline.
      // An inline run is never cancelled (sdk-core cannot take it as the step ends: see
      // LOCAL_ACTIVITIES_UNCANCELLED), so that step ends as it would have.
      const dir = stepWritableDir('inline-term');
      const { run_id } = await engine.createRun(fixture('inline-chain.yaml'), { dir, seconds: 1.5 });
      await until('the first step to start', () => existsSync(join(dir, 'step-1.pid')));
      expect((await engine.fetch(`/apis/v2beta1/runs/${run_id}:terminate`, { method: 'POST' })).status).toBe(200);
      const run = await engine.waitForRun(run_id);
      expect(run.state).toBe('CANCELED');
      const executed = readFileSync(join(dir, 'executions'), 'utf8').trim().split('\n');
      expect(executed.length).toBeLessThan(8);
      for (const step of executed) {
        const attempts = (await engine.store.listTaskAttempts(run_id, `root/${step}`)).map((a) => a.state);
        expect({ step, state: taskByName(run, step).state, attempts }).toEqual({ step, state: 'SUCCEEDED', attempts: ['SUCCEEDED'] });
      }
      const notRun = Array.from({ length: 8 }, (_, i) => `step-${i + 1}`).filter((step) => !executed.includes(step));
      for (const step of notRun) expect({ step, state: taskByName(run, step).state }).toEqual({ step, state: 'CANCELED' });
      expect((await activitiesOf(run_id)).runTask).toEqual([]);
    }, 120_000);

    test('terminating a run stops a step that outlives the window it ran inline in', async () => {
      // `long` starts inline about 7 s into the workflow task, whose heartbeat (8 s) delivers the
      // cancellation while it runs; at the window's end it is stopped instead of handed to
      // runTask. Should the heartbeat miss it (a slow machine), `long` is handed over before the
      // cancellation arrives and runTask stops it: tried again (at most three runs) until one
      // catches it inline.
      let caughtInline = false;
      for (let tries = 0; tries < 3 && !caughtInline; tries++) {
        const dir = stepWritableDir('inline-term-long');
        const { run_id } = await engine.createRun(fixture('inline-then-long.yaml'), { dir, seconds: 1.6, long_seconds: 60 });
        await until('the long step to start', () => existsSync(join(dir, 'long.pid')), 30_000);
        expect((await engine.fetch(`/apis/v2beta1/runs/${run_id}:terminate`, { method: 'POST' })).status).toBe(200);
        const run = await engine.waitForRun(run_id);
        expect(run.state).toBe('CANCELED');
        const pid = Number(readFileSync(join(dir, 'long.pid'), 'utf8'));
        await until('the long step to exit', () => !alive(pid), 10_000);
        expect(taskByName(run, 'long').state).toBe('CANCELED');
        expect((await engine.store.listTaskAttempts(run_id, 'root/long')).map((a) => a.state)).toEqual(['CANCELED']);
        caughtInline = (await activitiesOf(run_id)).runTask.length === 0;
      }
      expect(caughtInline).toBe(true);
    }, 180_000);

    test('terminating a run kills a step that was handed to runTask', async () => {
      const dir = stepWritableDir('inline-term-detached');
      const { run_id } = await engine.createRun(fixture('slow.yaml'), { dir, seconds: 60 });
      await until('the slow step to be handed to runTask', async () => (await activitiesOf(run_id)).runTask.length > 0);
      const pid = Number(readFileSync(join(dir, 'slow.pid'), 'utf8'));
      expect((await engine.fetch(`/apis/v2beta1/runs/${run_id}:terminate`, { method: 'POST' })).status).toBe(200);
      const run = await engine.waitForRun(run_id);
      expect(run.state).toBe('CANCELED');
      expect(taskByName(run, 'slow').state).toBe('CANCELED');
      await until('the step to exit', () => !alive(pid), 10_000);
      expect(readFileSync(join(dir, 'executions'), 'utf8')).toBe('first\nslow\n');
    });
  });

  test('the workflow query shows live task states while the run is in flight', async () => {
    const dir = stepWritableDir('live');
    const { run_id } = await engine.createRun(fixture('slow.yaml'), { dir, seconds: 2 });
    await until('the slow step to start', () => existsSync(join(dir, 'slow.pid')));
    const snapshot = await engine.temporal.workflow.getHandle(run_id).query<{ tasks: { name: string; state: string }[] }>('tasks');
    expect(snapshot.tasks.map((t) => [t.name, t.state])).toEqual([['root/first', 'SUCCEEDED'], ['root/slow', 'RUNNING']]);
    // The Temporal UI's "Stack Trace" tab answers, with no stacks: the SDK's promise hook files
    // none for workflow code (worker/workflow-bundle.ts).
    const handle = engine.temporal.workflow.getHandle(run_id);
    expect(await handle.query<string>('__stack_trace')).toBe('');
    expect((await handle.query<{ stacks: unknown[] }>('__enhanced_stack_trace')).stacks).toEqual([]);
    expect((await engine.waitForRun(run_id)).state).toBe('SUCCEEDED');
  });

  test('search attributes let the Temporal UI filter runs', async () => {
    const { run_id } = await engine.createRun(fixture('fail.yaml'));
    await engine.waitForRun(run_id);
    const found: string[] = [];
    for await (const wf of engine.temporal.workflow.list({ query: `SluiceRunId = '${run_id}' AND SluicePipelineName = 'failing'` })) {
      found.push(wf.workflowId);
    }
    expect(found).toEqual([run_id]);
  });
});
