import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActivityCancellationDetails, ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createTaskActivities } from '../../activities/run-task';
import { LocalProcessRunner } from '../../activities/runners/local-process-runner';
import type { TaskActivityInput } from '../../activities/types';
import { newRun, useStore } from '../store/fixtures';
import { stepWritableDir } from '../support/temp-dirs';

const db = useStore('launch_control');

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A task whose step writes its pid to `dir/pid`, sleeps, and then writes `dir/done`. */
async function sleeperTask(seconds: number, extra: Partial<TaskActivityInput> = {}): Promise<{ input: TaskActivityInput; dir: string }> {
  const { runId } = await db.store().createRun(newRun());
  const dir = stepWritableDir('launch-control');
  const input: TaskActivityInput = {
    runId,
    runName: 'run',
    pipelineName: 'p',
    pipelineRoot: stepWritableDir('launch-control-root'),
    createdAt: new Date().toISOString(),
    taskPath: 'sleeper',
    displayName: 'sleeper',
    componentName: 'comp-sleeper',
    container: { image: 'alpine', command: ['sh', '-c', `echo $$ > "$0/pid"; sleep ${seconds}; touch "$0/done"`, dir] },
    inputs: { parameters: {}, artifacts: {} },
    maxStepAttempts: 3,
    ...extra,
  };
  return { input, dir };
}

describe('runTask: who may stop a launch', () => {
  const runTask = () => createTaskActivities({ store: db.store(), runner: new LocalProcessRunner(), stepEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, killGraceMs: 1_000, cacheEnabled: true }).runTask;

  test('past timeoutSeconds the step is killed and the task fails for good with TaskTimedOut', async () => {
    const { input, dir } = await sleeperTask(30, { timeoutSeconds: 1 });
    const started = Date.now();
    const failure = await new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 }).run(runTask(), input).catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'TaskTimedOut', nonRetryable: true });
    expect((failure as Error).message).toMatch(/task sleeper timed out: still running after its deadline of 1 s, so it was killed/);
    await until('the step to die', () => !alive(Number(readFileSync(join(dir, 'pid'), 'utf8'))));
    expect(existsSync(join(dir, 'done'))).toBe(false);
    const task = await db.store().getTask(input.runId, 'sleeper');
    expect(task).toMatchObject({ state: 'FAILED', attempts: 1, error: { type: 'TaskTimedOut' } });
  });

  test('a cancellation the run requested kills the step and records CANCELED', async () => {
    const { input, dir } = await sleeperTask(30);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 });
    const outcome = env.run(runTask(), input).catch((err: unknown) => err);
    await until('the step to start', () => existsSync(join(dir, 'pid')));
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    env.cancel('CANCELLED', new ActivityCancellationDetails({ cancelRequested: true }));
    expect(await outcome).toMatchObject({ name: 'CancelledFailure' });
    await until('the step to die', () => !alive(pid));
    expect((await db.store().getTask(input.runId, 'sleeper'))?.state).toBe('CANCELED');
  });

  test.each([
    ['TIMED_OUT', { timedOut: true, notFound: true }],
    ['NOT_FOUND', { notFound: true }],
    ['WORKER_SHUTDOWN', { workerShutdown: true }],
  ] as const)('a %s cancellation ends the attempt but leaves the step running for the retry', async (reason, details) => {
    const { input, dir } = await sleeperTask(2);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000 });
    const outcome = env.run(runTask(), input).catch((err: unknown) => err);
    await until('the step to start', () => existsSync(join(dir, 'pid')));
    env.cancel(reason, new ActivityCancellationDetails(details));
    expect(await outcome).toMatchObject({ type: 'LaunchDetached', nonRetryable: false });
    // The retry (here: the next attempt on a new worker) reattaches and collects the same launch.
    const retried = await new MockActivityEnvironment({ heartbeatTimeoutMs: 30_000, heartbeatDetails: { launch: 1 } }).run(runTask(), input);
    expect(retried).toMatchObject({ attempts: 1 });
    expect(existsSync(join(dir, 'done'))).toBe(true);
    const attempts = await db.store().listTaskAttempts(input.runId, 'sleeper');
    expect(attempts.map((a) => [a.attempt, a.state])).toEqual([[1, 'SUCCEEDED']]);
  });
});
