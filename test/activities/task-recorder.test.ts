import { TaskRecorder } from '../../activities/task-recorder';
import type { TaskActivityInput } from '../../activities/types';
import type { LaunchRecord, MetadataStore } from '../../store/types';
import { newRun, useStore } from '../store/fixtures';

const db = useStore('task_recorder');

function inputOf(runId: string): TaskActivityInput {
  return { runId, taskPath: 'root/step', displayName: 'step', componentName: 'comp-step', inputs: { parameters: { x: 1 }, artifacts: {} } } as unknown as TaskActivityInput;
}

/** The real store, its `recordLaunch` calls counted; the first fails, as on a lost connection, when `failFirst`. */
function watched(store: MetadataStore, failFirst: boolean): { store: MetadataStore; writes: LaunchRecord[] } {
  const writes: LaunchRecord[] = [];
  const wrapped = Object.create(store) as MetadataStore;
  wrapped.recordLaunch = async (launch) => {
    writes.push(launch);
    if (failFirst && writes.length === 1) throw new Error('connection terminated');
    return store.recordLaunch(launch);
  };
  return { store: wrapped, writes };
}

describe('TaskRecorder', () => {
  test("a launch's end carries its start when it comes first: one write, with the start's time, pod and log", async () => {
    const { runId } = await db.store().createRun(newRun());
    const { store, writes } = watched(db.store(), false);
    const recorder = new TaskRecorder(store, inputOf(runId));
    const startedAt = Date.now();
    recorder.startedSoon(1, new Date(startedAt), 60_000, 'pod-1', '/logs/launch-1.log');
    await new Promise((r) => setTimeout(r, 50));
    await recorder.succeeded(1, { parameters: { y: 2 }, artifacts: {} });
    await recorder.flushStart();
    expect(writes).toHaveLength(1);
    const [attempt] = await db.store().listTaskAttempts(runId, 'root/step');
    expect(attempt).toMatchObject({ attempt: 1, state: 'SUCCEEDED', podName: 'pod-1', logUri: '/logs/launch-1.log', exitCode: 0 });
    expect(Math.abs(attempt.startedAt.getTime() - startedAt)).toBeLessThan(20);
    expect(attempt.finishedAt!.getTime() - attempt.startedAt.getTime()).toBeGreaterThanOrEqual(45);
    expect(await db.store().getTask(runId, 'root/step')).toMatchObject({ state: 'SUCCEEDED', startedAt: attempt.startedAt, inputs: { parameters: { x: 1 } }, outputs: { parameters: { y: 2 } } });
  });

  test('a start that was due but could not be written is carried by the next record', async () => {
    const { runId } = await db.store().createRun(newRun());
    const { store, writes } = watched(db.store(), true);
    const recorder = new TaskRecorder(store, inputOf(runId));
    recorder.startedSoon(1, new Date(), 0, 'pod-1', '/logs/launch-1.log');
    await new Promise((r) => setTimeout(r, 50));
    expect(writes.map((w) => w.attempt?.state)).toEqual(['RUNNING']);
    expect(await db.store().listTaskAttempts(runId, 'root/step')).toEqual([]);
    await recorder.succeeded(1, { parameters: {}, artifacts: {} });
    expect(writes.map((w) => w.attempt?.state)).toEqual(['RUNNING', 'SUCCEEDED']);
    const [attempt] = await db.store().listTaskAttempts(runId, 'root/step');
    expect(attempt).toMatchObject({ attempt: 1, state: 'SUCCEEDED', podName: 'pod-1', logUri: '/logs/launch-1.log' });
    expect(attempt.finishedAt!.getTime() - attempt.startedAt.getTime()).toBeGreaterThanOrEqual(45);
  });
});
