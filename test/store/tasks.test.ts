import { randomUUID } from 'node:crypto';
import { StoreNotFoundError } from '../../store/errors';
import { artifactIdFor, taskIdFor } from '../../store/ids';
import { at, launch, newRun, transition, useStore } from './fixtures';

const db = useStore('store_tasks');

async function runId(): Promise<string> {
  return (await db.store().createRun(newRun())).runId;
}

describe('recordTaskTransitions', () => {
  test('writes the tree fields, and replaying the batch changes nothing', async () => {
    const id = await runId();
    const batch = [
      transition('root/for-loop-2', 'RUNNING', 1, { kind: 'LOOP', displayName: 'for-loop-2', inputParameters: { items: [1, 2] } }),
      transition('root/for-loop-2[0]', 'RUNNING', 2, { kind: 'ITERATION', parentTaskPath: 'root/for-loop-2', iterationIndex: 0, displayName: 'for-loop-2[0]' }),
      transition('root/gate', 'SKIPPED', 3, { kind: 'DAG', reason: 'NOT_TRIGGERED' }),
    ];
    await db.store().recordTaskTransitions(id, batch);
    const before = await db.store().listTasks(id);
    await db.store().recordTaskTransitions(id, batch);
    expect(await db.store().listTasks(id)).toEqual(before);

    expect(before.map((t) => [t.taskPath, t.kind, t.parentTaskPath, t.iterationIndex, t.state])).toEqual([
      ['root/for-loop-2', 'LOOP', undefined, undefined, 'RUNNING'],
      ['root/gate', 'DAG', undefined, undefined, 'SKIPPED'],
      ['root/for-loop-2[0]', 'ITERATION', 'root/for-loop-2', 0, 'RUNNING'],
    ]);
    expect(await db.store().getTask(id, 'root/gate')).toEqual({
      runId: id,
      taskPath: 'root/gate',
      taskId: taskIdFor(id, 'root/gate'),
      displayName: 'gate',
      parentTaskPath: undefined,
      kind: 'DAG',
      iterationIndex: undefined,
      componentName: 'comp',
      state: 'SKIPPED',
      reason: 'NOT_TRIGGERED',
      inputs: { parameters: {}, artifacts: {} },
      outputs: { parameters: {}, artifacts: {} },
      attempts: 0,
      launchBase: 0,
      podName: undefined,
      error: undefined,
      createdAt: at(3),
      startedAt: undefined,
      finishedAt: at(3),
    });
    expect(before[0]).toMatchObject({ inputs: { parameters: { items: [1, 2] } }, startedAt: at(1), createdAt: at(1) });
  });

  test('a final state is never replaced, by a non-final state or another final one', async () => {
    const id = await runId();
    const path = 'root/dag';
    const outputs = { parameters: { n: 1 }, artifacts: { model: [{ name: 'model', uri: '/a/model', schemaTitle: 'system.Model', schemaVersion: '0.0.1', metadata: {} }] } };
    await db.store().recordTaskTransitions(id, [transition(path, 'RUNNING', 1, { kind: 'DAG' })]);
    await db.store().recordTaskTransitions(id, [transition(path, 'SUCCEEDED', 2, { kind: 'DAG', outputs })]);
    await db.store().recordTaskTransitions(id, [transition(path, 'RUNNING', 3, { kind: 'DAG' })]);
    await db.store().recordTaskTransitions(id, [transition(path, 'FAILED', 4, { kind: 'DAG', error: { message: 'late' } })]);
    await db.store().recordTaskTransitions(id, [transition(path, 'CANCELED', 5, { kind: 'DAG' })]);
    expect(await db.store().getTask(id, path)).toMatchObject({
      state: 'SUCCEEDED',
      error: undefined,
      startedAt: at(1),
      finishedAt: at(2),
      outputs: { parameters: { n: 1 }, artifacts: { model: [artifactIdFor('/a/model')] } },
    });
  });

  test('started_at is set only when the row has none', async () => {
    const id = await runId();
    await db.store().recordTaskTransitions(id, [transition('root/train', 'RUNNING', 1)]);
    await db.store().recordTaskTransitions(id, [transition('root/train', 'RUNNING', 5)]);
    // A launch (a reattach after a worker restart, say) does not move it either.
    await db.store().recordLaunch(launch(id, 'root/train', { at: at(7) }));
    expect((await db.store().getTask(id, 'root/train'))?.startedAt).toEqual(at(1));
  });

  test('the same task twice in one batch applies its changes in order', async () => {
    const id = await runId();
    await db.store().recordTaskTransitions(id, [
      transition('root/d', 'RUNNING', 1, { kind: 'DAG', inputParameters: { a: 1 } }),
      transition('root/d', 'FAILED', 2, { kind: 'DAG', error: { message: 'child failed' } }),
      transition('root/d', 'SUCCEEDED', 3, { kind: 'DAG' }),
    ]);
    expect(await db.store().getTask(id, 'root/d')).toMatchObject({
      state: 'FAILED',
      error: { message: 'child failed' },
      inputs: { parameters: { a: 1 } },
      createdAt: at(1),
      startedAt: at(1),
      finishedAt: at(2),
    });
  });

  test('a batch of 5,000 transitions is written by one call', async () => {
    const id = await runId();
    const loop = 'root/for-loop-1';
    const batch = Array.from({ length: 5000 }, (_, i) =>
      transition(`${loop}[${i}]`, 'SUCCEEDED', 1, { kind: 'ITERATION', parentTaskPath: loop, iterationIndex: i, displayName: `for-loop-1[${i}]` }),
    );
    await db.store().recordTaskTransitions(id, batch);
    expect(await db.count('tasks', 'WHERE run_id = $1 AND state = $2', [id, 'SUCCEEDED'])).toBe(5000);
    const page = await db.store().listTaskPage(id, { parentTaskPath: loop, pageSize: 3 });
    expect(page.items.map((t) => t.iterationIndex)).toEqual([0, 1, 2]);
    expect(page.totalSize).toBe(5000);
  });

  test('an empty batch is a no-op; a missing run is an error', async () => {
    await db.store().recordTaskTransitions(randomUUID(), []);
    const orphan = randomUUID();
    const error = await db.store().recordTaskTransitions(orphan, [transition('root/x', 'RUNNING', 1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreNotFoundError);
    expect(error).toMatchObject({ entity: 'run', id: orphan });
  });
});

describe('recordLaunch', () => {
  const dataset = { name: 'data', uri: '/a/data', schemaTitle: 'system.Dataset', schemaVersion: '0.0.1', metadata: { rows: 3 } };
  const model = { name: 'model', uri: '/a/model', schemaTitle: 'system.Model', schemaVersion: '0.0.1', metadata: {} };

  test('a launch lifecycle: attempt, task row, artifacts and lineage', async () => {
    const id = await runId();
    const path = 'root/for-loop-2[3]/train';
    const parentTaskPath = 'root/for-loop-2[3]';
    const task = { parentTaskPath, displayName: 'train', inputParameters: { lr: 0.1 } };
    await db.store().recordLaunch(launch(id, path, { at: at(1), task: { ...launch(id, path).task, ...task }, inputArtifacts: { data: [dataset] } }));
    await db.store().recordLaunch(
      launch(id, path, {
        at: at(2),
        task: { ...launch(id, path).task, parentTaskPath, state: 'RUNNING', error: { message: 'exit 1, will retry' } },
        attempt: { attempt: 1, state: 'FAILED', exitCode: 1, error: { message: 'exit 1' } },
      }),
    );
    const resources = { cpuLimit: '500m', memoryLimit: '1G' };
    await db.store().recordLaunch(launch(id, path, { at: at(3), task: { ...launch(id, path).task, parentTaskPath }, attempt: { attempt: 2, state: 'RUNNING', podName: 'train-2', resources } }));
    const succeeded = launch(id, path, {
      at: at(4),
      task: { ...launch(id, path).task, parentTaskPath, state: 'SUCCEEDED', outputParameters: { acc: 0.9 } },
      attempt: { attempt: 2, state: 'SUCCEEDED', exitCode: 0 },
      outputArtifacts: { model: [model] },
    });
    await db.store().recordLaunch(succeeded);
    await db.store().recordLaunch(succeeded);

    expect(await db.store().getTask(id, path)).toEqual({
      runId: id,
      taskPath: path,
      taskId: taskIdFor(id, path),
      displayName: 'train',
      parentTaskPath,
      kind: 'CONTAINER',
      iterationIndex: undefined,
      componentName: 'comp-train',
      state: 'SUCCEEDED',
      reason: undefined,
      inputs: { parameters: { lr: 0.1 }, artifacts: { data: [artifactIdFor('/a/data')] } },
      outputs: { parameters: { acc: 0.9 }, artifacts: { model: [artifactIdFor('/a/model')] } },
      attempts: 2,
      launchBase: 0,
      podName: 'train-2',
      error: undefined,
      createdAt: at(1),
      startedAt: at(1),
      finishedAt: at(4),
    });
    // The resources a launch asked for at its start stay through its later writes.
    expect((await db.store().listTaskAttempts(id, path)).map((a) => [a.attempt, a.state, a.exitCode, a.startedAt, a.finishedAt, a.resources])).toEqual([
      [1, 'FAILED', 1, at(1), at(2), undefined],
      [2, 'SUCCEEDED', 0, at(3), at(4), resources],
    ]);
    expect(await db.store().listArtifacts(id)).toEqual([
      expect.objectContaining({ uri: '/a/data', producerTaskPath: undefined, outputKey: undefined, metadata: { rows: 3 } }),
      expect.objectContaining({ uri: '/a/model', producerTaskPath: path, outputKey: 'model' }),
    ]);
    expect(await db.store().listLineage(id)).toEqual([
      { artifactId: artifactIdFor('/a/data'), runId: id, taskPath: path, direction: 'INPUT', key: 'data' },
      { artifactId: artifactIdFor('/a/model'), runId: id, taskPath: path, direction: 'OUTPUT', key: 'model' },
    ]);
  });

  test('is atomic: a failing write leaves no attempt, task, artifact or lineage behind', async () => {
    const id = await runId();
    const broken = launch(id, 'root/bad', { inputArtifacts: { data: [{ ...dataset, uri: `/a/${randomUUID()}` }] } });
    // A state outside the CHECK constraint fails the last statement, after the artifact rows.
    broken.task = { ...broken.task, state: 'NOT_A_STATE' as never };
    await expect(db.store().recordLaunch(broken)).rejects.toThrow();
    for (const table of ['tasks', 'task_attempts', 'artifacts', 'lineage']) {
      expect(await db.count(table, 'WHERE run_id = $1', [id])).toBe(0);
    }
  });

  test('an output registered again takes the latest metadata; an input leaves it alone', async () => {
    const id = await runId();
    const uri = `/a/${randomUUID()}`;
    await db.store().recordLaunch(launch(id, 'root/load', { task: { ...launch(id, 'root/load').task, state: 'SUCCEEDED' }, outputArtifacts: { out: [{ ...model, uri, metadata: { v: 1 } }] } }));
    await db.store().recordLaunch(launch(id, 'root/use', { inputArtifacts: { in: [{ ...model, uri, metadata: { v: 0 } }] } }));
    expect(await db.store().getArtifact(artifactIdFor(uri))).toMatchObject({ metadata: { v: 1 }, producerTaskPath: 'root/load' });
    await db.store().recordLaunch(launch(id, 'root/load2', { task: { ...launch(id, 'root/load2').task, state: 'SUCCEEDED' }, outputArtifacts: { out: [{ ...model, uri, metadata: { v: 2 } }] } }));
    expect(await db.store().getArtifact(artifactIdFor(uri))).toMatchObject({ metadata: { v: 2 }, producerTaskPath: 'root/load' });
  });

  test('a final task is not reopened by a late launch write; a missing run is an error', async () => {
    const id = await runId();
    await db.store().recordTaskTransitions(id, [transition('root/t', 'CANCELED', 1)]);
    await db.store().recordLaunch(launch(id, 'root/t', { at: at(2) }));
    expect(await db.store().getTask(id, 'root/t')).toMatchObject({ state: 'CANCELED', startedAt: undefined, attempts: 0 });
    await expect(db.store().recordLaunch(launch(randomUUID(), 'root/x'))).rejects.toThrow(StoreNotFoundError);
  });

  test('concurrent identical launches write one row each', async () => {
    const id = await runId();
    await Promise.all(Array.from({ length: 8 }, () => db.store().recordLaunch(launch(id, 'root/fan', { inputArtifacts: { data: [dataset] } }))));
    expect(await db.count('tasks', 'WHERE run_id = $1', [id])).toBe(1);
    expect(await db.count('task_attempts', 'WHERE run_id = $1', [id])).toBe(1);
    expect(await db.count('lineage', 'WHERE run_id = $1', [id])).toBe(1);
  });
});

describe('task tree reads', () => {
  test('pages in tree order with a parent filter, children and state counts', async () => {
    const id = await runId();
    const loop = 'root/loop';
    await db.store().recordTaskTransitions(id, [
      transition('root/a', 'SUCCEEDED', 1),
      transition(loop, 'RUNNING', 1, { kind: 'LOOP' }),
      ...[10, 2, 1].map((i) => transition(`${loop}[${i}]`, 'RUNNING', 2, { kind: 'ITERATION', parentTaskPath: loop, iterationIndex: i })),
      transition(`${loop}[2]/train`, 'RUNNING', 3, { parentTaskPath: `${loop}[2]` }),
      transition('root/z', 'SKIPPED', 3, { reason: 'UPSTREAM_FAILED' }),
    ]);
    const all = await db.store().listTasks(id);
    expect(all.map((t) => t.taskPath)).toEqual(['root/a', 'root/loop', 'root/z', 'root/loop[1]', 'root/loop[2]', 'root/loop[10]', 'root/loop[2]/train']);

    const paths: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await db.store().listTaskPage(id, { pageSize: 2, pageToken });
      expect(page.totalSize).toBe(7);
      paths.push(...page.items.map((t) => t.taskPath));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(paths).toEqual(all.map((t) => t.taskPath));

    const first = await db.store().listTaskPage(id, { parentTaskPath: loop, pageSize: 2 });
    expect(first.items.map((t) => t.taskPath)).toEqual(['root/loop[1]', 'root/loop[2]']);
    await expect(db.store().listTaskPage(id, { pageToken: first.nextPageToken })).rejects.toMatchObject({ field: 'pageToken' });
    await expect(db.store().listTaskPage(id, { pageToken: 'garbage' })).rejects.toMatchObject({ field: 'pageToken' });

    const children = await db.store().listTaskChildren(id, [loop, `${loop}[2]`, 'root/a'], 2);
    expect(children).toEqual(
      expect.arrayContaining([
        { parentTaskPath: loop, total: 3, children: [expect.objectContaining({ taskPath: 'root/loop[1]', taskId: taskIdFor(id, 'root/loop[1]') }), expect.objectContaining({ taskPath: 'root/loop[2]' })], stateCounts: { RUNNING: 3 } },
        { parentTaskPath: `${loop}[2]`, total: 1, children: [expect.objectContaining({ taskPath: 'root/loop[2]/train' })] },
      ]),
    );
    expect(children).toHaveLength(2);
    expect(await db.store().countTasksByState(id)).toEqual({ SUCCEEDED: 1, RUNNING: 5, SKIPPED: 1 });
    expect((await db.store().getTaskById(id, taskIdFor(id, 'root/z')))?.reason).toBe('UPSTREAM_FAILED');
  });

  test("a page's attempts and children, read beside the page: every task of the page covered, wide parents counted", async () => {
    const id = await runId();
    const loop = 'root/loop';
    await db.store().recordTaskTransitions(id, [
      transition('root/dag', 'RUNNING', 1, { kind: 'DAG' }),
      ...['x', 'y', 'z'].map((n) => transition(`root/dag/${n}`, 'RUNNING', 1, { parentTaskPath: 'root/dag' })),
      transition('root/empty', 'RUNNING', 1, { kind: 'DAG' }),
      transition('root/waiting', 'RUNNING', 1),
      transition(loop, 'RUNNING', 1, { kind: 'LOOP' }),
      ...[0, 1, 2].map((i) => transition(`${loop}[${i}]`, 'RUNNING', 2, { kind: 'ITERATION', parentTaskPath: loop, iterationIndex: i })),
    ]);
    await db.store().recordLaunch(launch(id, 'root/a'));
    await db.store().recordLaunch(launch(id, 'root/a', { attempt: { attempt: 2, state: 'RUNNING', podName: 'a-2', logUri: '/logs/a/2' } }));

    const whole = await db.store().listTaskPage(id, { pageSize: 100 });
    const views = await db.store().listTaskPageViews(id, { pageSize: 100 }, 2);
    expect([...views.covers].sort()).toEqual(whole.items.map((t) => t.taskPath).sort());
    expect(views.attempts.map((a) => [a.taskPath, a.attempt])).toEqual([['root/a', 1], ['root/a', 2]]);
    expect(views.children).toEqual(
      expect.arrayContaining([
        { parentTaskPath: 'root/dag', total: 3, children: [expect.objectContaining({ taskPath: 'root/dag/x' }), expect.objectContaining({ taskPath: 'root/dag/y' })], stateCounts: { RUNNING: 3 } },
        { parentTaskPath: loop, total: 3, children: [expect.objectContaining({ taskPath: `${loop}[0]` }), expect.objectContaining({ taskPath: `${loop}[1]` })], stateCounts: { RUNNING: 3 } },
      ]),
    );
    // Parents without children (the empty DAG; the iterations, whose steps were never recorded) are covered but not listed.
    expect(views.children).toHaveLength(2);
    // The same as asking about the page's tasks by name, after it.
    expect(views.children).toEqual(expect.arrayContaining(await db.store().listTaskChildren(id, ['root/dag', loop, 'root/empty'], 2)));

    // A later page, and a parent's page, select the same rows as `listTaskPage`.
    const first = await db.store().listTaskPage(id, { pageSize: 3 });
    const second = await db.store().listTaskPage(id, { pageSize: 3, pageToken: first.nextPageToken });
    expect([...(await db.store().listTaskPageViews(id, { pageSize: 3, pageToken: first.nextPageToken }, 2)).covers].sort()).toEqual(second.items.map((t) => t.taskPath).sort());
    const inLoop = await db.store().listTaskPageViews(id, { parentTaskPath: loop, pageSize: 2 }, 2);
    expect([...inLoop.covers].sort()).toEqual([`${loop}[0]`, `${loop}[1]`]);
    await expect(db.store().listTaskPageViews(id, { pageToken: 'garbage' }, 2)).rejects.toMatchObject({ field: 'pageToken' });
  });

  test('a summary: breadth first, a bounded number of children per parent, in tree order with attempts and children; the same views wherever the size cuts it', async () => {
    const id = await runId();
    const loop = 'root/loop';
    await db.store().recordTaskTransitions(id, [
      transition('root/dag', 'RUNNING', 1, { kind: 'DAG' }),
      ...['x', 'y', 'z'].map((n) => transition(`root/dag/${n}`, 'RUNNING', 1, { parentTaskPath: 'root/dag' })),
      transition(loop, 'RUNNING', 1, { kind: 'LOOP' }),
      ...[0, 1, 2, 3].map((i) => transition(`${loop}[${i}]`, i === 3 ? 'SUCCEEDED' : 'RUNNING', 2, { kind: 'ITERATION', parentTaskPath: loop, iterationIndex: i })),
      ...[0, 1, 2, 3].map((i) => transition(`${loop}[${i}]/s`, 'RUNNING', 3, { parentTaskPath: `${loop}[${i}]` })),
    ]);
    await db.store().recordLaunch(launch(id, 'root/a'));
    await db.store().recordLaunch(launch(id, 'root/a', { attempt: { attempt: 2, state: 'RUNNING', podName: 'a-2', logUri: '/logs/a/2' } }));

    const whole = await db.store().summariseTasks(id, 100, 3);
    // The loop's fourth iteration, and its step, are left out.
    expect(whole.tasks.map((t) => t.taskPath)).toEqual([
      'root/a', 'root/dag', loop, 'root/dag/x', 'root/dag/y', 'root/dag/z', `${loop}[0]`, `${loop}[1]`, `${loop}[2]`, `${loop}[0]/s`, `${loop}[1]/s`, `${loop}[2]/s`,
    ]);
    expect(whole.attempts.map((a) => [a.taskPath, a.attempt])).toEqual([['root/a', 1], ['root/a', 2]]);
    const byParent = (children: { parentTaskPath: string; total: number; children: { taskPath: string }[]; stateCounts?: object }[]) =>
      Object.fromEntries(children.map((c) => [c.parentTaskPath, [c.total, c.children.map((k) => k.taskPath), c.stateCounts]]));
    expect(byParent(whole.children)).toEqual({
      'root/dag': [3, ['root/dag/x', 'root/dag/y', 'root/dag/z'], undefined],
      [loop]: [4, [`${loop}[0]`, `${loop}[1]`, `${loop}[2]`], { RUNNING: 3, SUCCEEDED: 1 }],
      ...Object.fromEntries([0, 1, 2].map((i) => [`${loop}[${i}]`, [1, [`${loop}[${i}]/s`], undefined]])),
    });
    // The same as reading each parent's children by name.
    const parents = whole.children.map((c) => c.parentTaskPath);
    expect(byParent(await db.store().listTaskChildren(id, parents, 3))).toEqual(byParent(whole.children));

    // Cut inside the DAG's children: what was read is the start of the same summary, with the same views.
    const cut = await db.store().summariseTasks(id, 5, 3);
    expect(cut.tasks.map((t) => t.taskPath)).toEqual(['root/a', 'root/dag', loop, 'root/dag/x', 'root/dag/y']);
    expect(byParent(cut.children)).toEqual({ 'root/dag': byParent(whole.children)['root/dag'], [loop]: byParent(whole.children)[loop] });
    const top = await db.store().summariseTasks(id, 3, 3);
    expect(top.tasks.map((t) => t.taskPath)).toEqual(['root/a', 'root/dag', loop]);
    expect(byParent(top.children)).toEqual(byParent(cut.children));
    // The top level is bounded like any other.
    expect((await db.store().summariseTasks(id, 100, 2)).tasks.map((t) => t.taskPath)).toEqual(['root/a', 'root/dag', 'root/dag/x', 'root/dag/y']);
    expect(await db.store().summariseTasks(await runId(), 100, 3)).toEqual({ tasks: [], attempts: [], children: [] });
  });
});
