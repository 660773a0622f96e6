import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { DEFAULT_NAMESPACE } from '../../config/constants';
import { freePort } from '../../stack/free-port';
import { CHART, ROOT } from './helm';

const PROBE = join(CHART, 'files', 'worker-probe.js');
const run = promisify(execFile);

/** Runs the chart's worker probe as the kubelet would (its exit code is the verdict). */
async function probe(mode: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && !k.startsWith('SLUICE_')));
  try {
    const { stdout, stderr } = await run(process.execPath, [PROBE, mode], { env: { ...base, SLUICE_HOME: ROOT, ...env }, timeout: 30_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * charts/sluice/files/worker-probe.js against the jest run's Temporal dev server: a pending
 * workflow-task poll stands in for a worker, with the identity a worker in this pod would have
 * (`<pid>@<hostname>`).
 */
describe("the chart's worker probe", () => {
  const address = process.env.SLUICE_TEST_TEMPORAL_ADDRESS as string;
  let connection: Connection;
  const polls: AbortController[] = [];

  beforeAll(async () => {
    if (!address) throw new Error('SLUICE_TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (global setup)');
    connection = await Connection.connect({ address });
  });
  afterAll(async () => {
    for (const poll of polls) poll.abort();
    await connection?.close();
  });

  /** Starts a long poll on `taskQueue` as `identity` and resolves once Temporal lists it. */
  async function startPoller(taskQueue: string, identity: string): Promise<void> {
    const abort = new AbortController();
    polls.push(abort);
    // Temporal refuses a long poll without a deadline; aborted in afterAll.
    connection
      .withAbortSignal(abort.signal, () => connection.withDeadline(Date.now() + 90_000, () =>
        connection.workflowService.pollWorkflowTaskQueue({ namespace: DEFAULT_NAMESPACE, taskQueue: { name: taskQueue, kind: 1 }, identity })))
      .catch(() => undefined);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { pollers } = await connection.workflowService.describeTaskQueue({ namespace: DEFAULT_NAMESPACE, taskQueue: { name: taskQueue }, taskQueueType: 1 });
      if (pollers?.some((p) => p.identity === identity)) return;
      if (Date.now() > deadline) throw new Error(`Temporal never listed the poller ${identity}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const envFor = (taskQueue: string, addr = address) => ({ TEMPORAL_ADDRESS: addr, TEMPORAL_NAMESPACE: DEFAULT_NAMESPACE, SLUICE_TASK_QUEUE: taskQueue });

  test('ready and live once this pod polls the task queue', async () => {
    const taskQueue = `probe-${randomUUID()}`;
    await startPoller(taskQueue, `4242@${hostname()}`);
    for (const mode of ['ready', 'live']) {
      const res = await probe(mode, envFor(taskQueue));
      expect(res).toEqual({ code: 0, out: expect.stringContaining(`ok: 4242@${hostname()} polls ${taskQueue}`) });
    }
  });

  test('neither ready nor live when Temporal answers but only other pods poll', async () => {
    const taskQueue = `probe-${randomUUID()}`;
    await startPoller(taskQueue, '7@another-pod');
    for (const mode of ['ready', 'live']) {
      const res = await probe(mode, envFor(taskQueue));
      expect(res.code).toBe(1);
      expect(res.out).toContain(`not ${mode}: no poller of ${taskQueue}`);
      expect(res.out).toContain('pollers: 7@another-pod');
    }
  });

  test('not ready, yet live, when Temporal cannot be reached: an outage must not restart workers', async () => {
    const nowhere = `127.0.0.1:${await freePort()}`;
    const ready = await probe('ready', envFor('q', nowhere));
    expect(ready.code).toBe(1);
    expect(ready.out).toContain(`not ready: cannot ask Temporal at ${nowhere}`);
    const live = await probe('live', envFor('q', nowhere));
    expect(live.code).toBe(0);
    expect(live.out).toContain("(not this worker's fault)");
  });

  test('a wrong invocation is an error, not a pass', async () => {
    expect((await probe('healthy', envFor('q'))).code).toBe(2);
  });
});
