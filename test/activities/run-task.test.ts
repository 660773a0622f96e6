import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestEngine, taskByName, type TestEngine } from '../support/engine';
import { stepWritableDir } from '../support/temp-dirs';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Blocks this process's event loop, and so the in-process worker's heartbeats, as a CPU-starved worker would. */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Busy: nothing else on this loop runs.
  }
}

describe('runTask on the real stack', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    // The engine's heartbeat timeout is 3 s.
    engine = await startTestEngine('run-task');
  });
  afterAll(async () => {
    await engine?.stop();
  });

  test('a missed heartbeat does not stop a healthy step: the retry reattaches and collects it', async () => {
    const dir = stepWritableDir('busy');
    const { run_id } = await engine.createRun(fixture('busy-worker.yaml'), { dir });
    await until('the step to start', () => existsSync(join(dir, 'started')));
    // Longer than the heartbeat timeout plus the SDK's 5 s local buffer: the attempt times out
    // (TIMED_OUT locally, or NOT_FOUND from the server) while the step, which outlasts the
    // block, goes on to exit 0.
    blockEventLoop(9_000);
    // The API's idle keep-alive sockets expired during the block; let them close before polling.
    await new Promise((r) => setTimeout(r, 1_000));
    const run = await engine.waitForRun(run_id, 60_000);
    expect(run.state).toBe('SUCCEEDED');
    expect(taskByName(run, 'step').state).toBe('SUCCEEDED');
    expect(readFileSync(join(dir, 'executions'), 'utf8')).toBe('step\n');
    const attempts = await engine.store.listTaskAttempts(run_id, 'root/step');
    expect(attempts.map((a) => [a.attempt, a.state])).toEqual([[1, 'SUCCEEDED']]);
  });

  test("a short step's start is recorded with its end, a longer one's on its own while it runs, each with its real start time", async () => {
    const dir = stepWritableDir('start-records');
    const { run_id } = await engine.createRun(fixture('start-records.yaml'), { dir });
    await until('the slow step to start', () => existsSync(join(dir, 'started')));
    const startedAt = Date.now();
    // Within a second of its start: its start record (written at most 250 ms after the start) is there, and its end is not.
    let running: Awaited<ReturnType<typeof engine.store.listTaskAttempts>> = [];
    while (running.length === 0 && Date.now() - startedAt < 1_000) {
      running = (await engine.store.listTaskAttempts(run_id, 'root/slow')).filter((a) => a.state === 'RUNNING');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(running).toEqual([expect.objectContaining({ attempt: 1, state: 'RUNNING', podName: expect.stringMatching(/\S/) as unknown, logUri: expect.stringMatching(/launch-1\.log$/) as unknown })]);
    const run = await engine.waitForRun(run_id, 30_000);
    expect(run.state).toBe('SUCCEEDED');
    for (const [task, ranMs] of [['quick', 100], ['slow', 2_000]] as const) {
      const [attempt] = await engine.store.listTaskAttempts(run_id, `root/${task}`);
      expect(attempt).toMatchObject({ attempt: 1, state: 'SUCCEEDED', exitCode: 0, podName: expect.stringMatching(/\S/) as unknown, logUri: expect.stringMatching(/launch-1\.log$/) as unknown });
      // Started when the step started, not when its record was written.
      expect(attempt.finishedAt!.getTime() - attempt.startedAt.getTime()).toBeGreaterThanOrEqual(ranMs);
      const [row] = (await engine.store.listTasks(run_id)).filter((t) => t.taskPath === `root/${task}`);
      expect(row.startedAt?.getTime()).toBe(attempt.startedAt.getTime());
    }
  });

  test('a placeholder no retry can resolve fails the task at once, naming the task and the placeholder', async () => {
    const { run_id } = await engine.createRun(fixture('optional-input.yaml'));
    const run = await engine.waitForRun(run_id, 30_000);
    expect(run.state).toBe('FAILED');
    const greet = taskByName(run, 'greet');
    expect(greet.state).toBe('FAILED');
    expect(greet.error?.message).toMatch(/task root\/greet .*\{\{\$\.inputs\.parameters\['name'\]\}\}.*IfPresent/);
    const [task] = await engine.store.listTasks(run_id);
    expect(task).toMatchObject({ state: 'FAILED', attempts: 1, error: { type: 'InvalidTask' } });
  });
});
