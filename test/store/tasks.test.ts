import { randomUUID } from 'node:crypto';
import { StoreNotFoundError } from '../../store/errors';
import { taskIdFor } from '../../store/ids';
import { at, newRun, useStore } from './fixtures';

const db = useStore('store_tasks');

async function runId(): Promise<string> {
  return (await db.store().createRun(newRun())).runId;
}

describe('upsertTask', () => {
  test('repeated upserts keep one row and merge the fields each one sets', async () => {
    const id = await runId();
    const key = { runId: id, taskName: 'train' };
    await db.store().upsertTask({ ...key, componentName: 'comp-train', state: 'RUNNING', attempts: 1, podName: 'train-1', startedAt: at(1) });
    await db.store().upsertTask({ ...key, componentName: 'comp-train', state: 'RUNNING', attempts: 1, podName: 'train-1', startedAt: at(1) });
    await db.store().upsertTask({ ...key, inputs: { parameters: { lr: 0.1 }, artifacts: { data: ['a1'] } } });
    await db.store().upsertTask({ ...key, attempts: 2, podName: 'train-2' });
    await db.store().upsertTask({ ...key, attempts: 1 });

    expect(await db.count('tasks', 'WHERE run_id = $1', [id])).toBe(1);
    expect(await db.store().getTask(id, 'train')).toEqual({
      ...key,
      taskId: taskIdFor(id, 'train'),
      componentName: 'comp-train',
      state: 'RUNNING',
      inputs: { parameters: { lr: 0.1 }, artifacts: { data: ['a1'] } },
      outputs: { parameters: {}, artifacts: {} },
      attempts: 2,
      podName: 'train-2',
      error: undefined,
      createdAt: expect.any(Date),
      startedAt: at(1),
      finishedAt: undefined,
    });
  });

  test('a final state is not replaced by a non-final one; the stale write is dropped whole', async () => {
    const id = await runId();
    const key = { runId: id, taskName: 'eval' };
    await db.store().upsertTask({ ...key, state: 'RUNNING', podName: 'eval-1' });
    await db.store().upsertTask({ ...key, state: 'SUCCEEDED', finishedAt: at(9), outputs: { parameters: { acc: 0.9 }, artifacts: {} } });
    await db.store().upsertTask({ ...key, state: 'RUNNING', podName: 'eval-replayed' });
    await db.store().upsertTask({ ...key, state: 'PENDING' });
    const task = await db.store().getTask(id, 'eval');
    expect(task).toMatchObject({ state: 'SUCCEEDED', podName: 'eval-1', finishedAt: at(9), outputs: { parameters: { acc: 0.9 } } });

    // Writes without a state, and a final state over a final one, still apply.
    await db.store().upsertTask({ ...key, componentName: 'comp-eval' });
    await db.store().upsertTask({ ...key, state: 'FAILED', error: { message: 'metrics upload failed' } });
    expect(await db.store().getTask(id, 'eval')).toMatchObject({
      state: 'FAILED',
      componentName: 'comp-eval',
      error: { message: 'metrics upload failed' },
    });
  });

  test('concurrent identical upserts write one row', async () => {
    const id = await runId();
    await Promise.all(Array.from({ length: 10 }, (_, i) => db.store().upsertTask({ runId: id, taskName: 'fan', attempts: i })));
    expect(await db.count('tasks', 'WHERE run_id = $1', [id])).toBe(1);
    expect((await db.store().getTask(id, 'fan'))?.attempts).toBe(9);
  });

  test('defaults on first write, listing, and a missing run', async () => {
    const id = await runId();
    await db.store().upsertTask({ runId: id, taskName: 'b', createdAt: at(2) });
    await db.store().upsertTask({ runId: id, taskName: 'a', createdAt: at(1), taskId: 'custom-id' });
    await db.store().upsertTask({ runId: id, taskName: 'a', createdAt: at(5) });
    const tasks = await db.store().listTasks(id);
    expect(tasks.map((t) => [t.taskName, t.taskId, t.state, t.attempts])).toEqual([
      ['a', 'custom-id', 'PENDING', 0],
      ['b', taskIdFor(id, 'b'), 'PENDING', 0],
    ]);
    expect(tasks[0].createdAt).toEqual(at(1));
    expect(await db.store().getTask(id, 'missing')).toBeUndefined();

    const orphan = randomUUID();
    const error = await db.store().upsertTask({ runId: orphan, taskName: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreNotFoundError);
    expect(error).toMatchObject({ entity: 'run', id: orphan });
  });
});

describe('upsertTaskAttempt', () => {
  test('repeated upserts keep one row per attempt and merge fields', async () => {
    const id = await runId();
    const first = { runId: id, taskName: 'train', attempt: 1 };
    await db.store().upsertTaskAttempt({ ...first, state: 'RUNNING', podName: 'train-a1', logUri: '/logs/a1', startedAt: at(1) });
    await db.store().upsertTaskAttempt({ ...first, state: 'RUNNING', podName: 'train-a1', logUri: '/logs/a1', startedAt: at(1) });
    await db.store().upsertTaskAttempt({ ...first, state: 'FAILED', exitCode: 137, error: { message: 'OOMKilled' }, finishedAt: at(2) });
    await db.store().upsertTaskAttempt({ ...first, state: 'RUNNING' });
    await db.store().upsertTaskAttempt({ runId: id, taskName: 'train', attempt: 2, state: 'SUCCEEDED', exitCode: 0 });
    await db.store().upsertTaskAttempt({ runId: id, taskName: 'other', attempt: 1 });

    expect(await db.count('task_attempts', 'WHERE run_id = $1', [id])).toBe(3);
    const attempts = await db.store().listTaskAttempts(id, 'train');
    expect(attempts).toEqual([
      {
        ...first,
        state: 'FAILED',
        podName: 'train-a1',
        exitCode: 137,
        error: { message: 'OOMKilled' },
        logUri: '/logs/a1',
        startedAt: at(1),
        finishedAt: at(2),
      },
      expect.objectContaining({ attempt: 2, state: 'SUCCEEDED', exitCode: 0, podName: '', logUri: '', startedAt: expect.any(Date) }),
    ]);
    expect((await db.store().listTaskAttempts(id)).map((a) => `${a.taskName}#${a.attempt}`)).toEqual([
      'other#1',
      'train#1',
      'train#2',
    ]);
  });

  test('an attempt of a missing run is an error', async () => {
    await expect(db.store().upsertTaskAttempt({ runId: randomUUID(), taskName: 'x', attempt: 1 })).rejects.toThrow(StoreNotFoundError);
  });
});
